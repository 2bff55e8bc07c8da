import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** The adjoint of Gather (duplicates accumulate); an index outside [0, numRows) throws: csrc/kernels/ScatterAdd.c */
export function scatterAdd(
  backend: WasmBackend,
  { updates, indices }: KernelInputs<'ScatterAdd'>,
  { numRows }: KernelAttrs<'ScatterAdd'>,
): TensorInfo {
  if (indices.dtype !== 'i32') throw new Error(`ScatterAdd: indices must be i32, got ${indices.dtype}`);
  if (updates.dtype === 'u8') throw new Error('ScatterAdd: u8 updates are not supported');
  const rest = updates.shape.slice(indices.shape.length);
  const out = backend.allocate([numRows, ...rest], updates.dtype);
  const count = sizeOf(indices.shape);
  const bad = backend.m._ScatterAdd(
    out.ptr,
    backend.ptr(updates),
    backend.ptr(indices),
    count,
    numRows,
    sizeOf(rest),
    dtypeCode(updates.dtype),
  );
  if (bad >= 0) {
    const index = backend.heap().i32[(backend.ptr(indices) >>> 2) + bad];
    throw new Error(`ScatterAdd: index ${index} at position ${bad} is out of range [0, ${numRows})`);
  }
  return out.info;
}

import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elementBytes } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Embedding lookup along axis 0; an index outside [0, V) throws naming it: csrc/kernels/Gather.c */
export function gather(backend: WasmBackend, { table, indices }: KernelInputs<'Gather'>): TensorInfo {
  if (indices.dtype !== 'i32') throw new Error(`Gather: indices must be i32, got ${indices.dtype}`);
  const [V, ...rest] = table.shape;
  const out = backend.allocate([...indices.shape, ...rest], table.dtype);
  const count = sizeOf(indices.shape);
  const rowBytes = sizeOf(rest) * elementBytes(table.dtype);
  const bad = backend.m._Gather(out.ptr, backend.ptr(table), backend.ptr(indices), count, V!, rowBytes);
  if (bad >= 0) {
    const index = backend.heap().i32[(backend.ptr(indices) >>> 2) + bad];
    throw new Error(`Gather: index ${index} at position ${bad} is out of range [0, ${V})`);
  }
  return out.info;
}

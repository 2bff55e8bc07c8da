import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import type { WasmBackend } from '../wasm-backend.js';

function badLabel(backend: WasmBackend, labels: TensorInfo, row: number, V: number): Error {
  const label = backend.heap().i32[(backend.ptr(labels) >>> 2) + row];
  return new Error(`CrossEntropy: label ${label} of row ${row} is out of range [0, ${V})`);
}

/** Per-row cross-entropy (losses f32): csrc/kernels/CrossEntropy.c */
export function crossEntropy(
  backend: WasmBackend,
  { logits, labels }: KernelInputs<'CrossEntropy'>,
  { ignoreIndex }: KernelAttrs<'CrossEntropy'>,
): TensorInfo {
  const [R, V] = logits.shape as [number, number];
  const out = backend.allocate([R], 'f32');
  const bad = backend.m._CrossEntropy(out.ptr, backend.ptr(logits), backend.ptr(labels), R, V, ignoreIndex);
  if (bad >= 0) throw badLabel(backend, labels, bad, V);
  return out.info;
}

export function crossEntropyGrad(
  backend: WasmBackend,
  { dloss, logits, labels }: KernelInputs<'CrossEntropyGrad'>,
  { ignoreIndex }: KernelAttrs<'CrossEntropyGrad'>,
): TensorInfo {
  const [R, V] = logits.shape as [number, number];
  const out = backend.allocate(logits.shape, logits.dtype);
  const bad = backend.m._CrossEntropyGrad(
    out.ptr,
    backend.ptr(dloss),
    backend.ptr(logits),
    backend.ptr(labels),
    R,
    V,
    ignoreIndex,
    dtypeCode(logits.dtype),
  );
  if (bad >= 0) throw badLabel(backend, labels, bad, V);
  return out.info;
}

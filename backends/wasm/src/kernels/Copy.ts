import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elementBytes } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** A new buffer with the same contents: csrc/kernels/Copy.c */
export function copy(backend: WasmBackend, { x }: KernelInputs<'Copy'>): TensorInfo {
  const out = backend.allocate(x.shape, x.dtype);
  backend.m._Copy(out.ptr, backend.ptr(x), sizeOf(x.shape) * elementBytes(x.dtype));
  return out.info;
}

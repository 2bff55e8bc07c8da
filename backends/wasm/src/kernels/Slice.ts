import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elementBytes } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** x[begin[d] : begin[d]+size[d]] on every axis: csrc/kernels/Slice.c */
export function slice(
  backend: WasmBackend,
  { x }: KernelInputs<'Slice'>,
  { begin, size }: KernelAttrs<'Slice'>,
): TensorInfo {
  const out = backend.allocate(size, x.dtype);
  if (sizeOf(size) === 0) return out.info;
  const info = [x.shape.length, ...x.shape, ...begin, ...size];
  backend.m._Slice(out.ptr, backend.ptr(x), backend.args(info), elementBytes(x.dtype));
  return out.info;
}

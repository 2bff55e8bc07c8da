import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Converts to `dtype` (floats round to nearest even; float → int truncates and wraps): csrc/kernels/Cast.c */
export function cast(backend: WasmBackend, { x }: KernelInputs<'Cast'>, { dtype }: KernelAttrs<'Cast'>): TensorInfo {
  const out = backend.allocate(x.shape, dtype);
  backend.m._Cast(out.ptr, backend.ptr(x), sizeOf(x.shape), dtypeCode(x.dtype), dtypeCode(dtype));
  return out.info;
}

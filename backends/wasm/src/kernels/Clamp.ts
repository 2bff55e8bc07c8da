import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';
import { requireFloat } from './elementwise-factories.js';

/** y = min(max(x, min), max); NaN stays NaN: csrc/kernels/Clamp.c */
export function clamp(
  backend: WasmBackend,
  { x }: KernelInputs<'Clamp'>,
  { min, max }: KernelAttrs<'Clamp'>,
): TensorInfo {
  requireFloat('Clamp', x);
  const out = backend.allocate(x.shape, x.dtype);
  backend.m._Clamp(out.ptr, backend.ptr(x), sizeOf(x.shape), min, max, dtypeCode(x.dtype));
  return out.info;
}

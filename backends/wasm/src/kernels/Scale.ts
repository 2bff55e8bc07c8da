import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';
import { requireFloat } from './elementwise-factories.js';

/** y = x·scale + shift (in f64, rounded once): csrc/kernels/Scale.c */
export function scale(backend: WasmBackend, { x }: KernelInputs<'Scale'>, attrs: KernelAttrs<'Scale'>): TensorInfo {
  requireFloat('Scale', x);
  const out = backend.allocate(x.shape, x.dtype);
  backend.m._Scale(out.ptr, backend.ptr(x), sizeOf(x.shape), attrs.scale, attrs.shift, dtypeCode(x.dtype));
  return out.info;
}

import type { KernelAttrs, KernelInputs } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** AdamW, in place on param, m and v (m, v f32): csrc/kernels/AdamW.c */
export function adamW(
  backend: WasmBackend,
  { param, grad, m, v }: KernelInputs<'AdamW'>,
  attrs: KernelAttrs<'AdamW'>,
): undefined {
  if (attrs.step < 1) throw new Error(`AdamW: step counts from 1, got ${attrs.step}`);
  for (const state of [m, v]) {
    if (state.dtype !== 'f32') throw new Error(`AdamW: m and v must be f32 on the wasm backend, got ${state.dtype}`);
  }
  backend.m._AdamW(
    backend.ptr(param),
    backend.ptr(grad),
    backend.ptr(m),
    backend.ptr(v),
    sizeOf(param.shape),
    attrs.lr,
    attrs.beta1,
    attrs.beta2,
    attrs.eps,
    attrs.weightDecay,
    attrs.step,
    dtypeCode(param.dtype),
  );
  return undefined;
}

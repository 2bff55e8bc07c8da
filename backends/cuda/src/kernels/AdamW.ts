/** AdamW (native/kernels/adamw.cu): in place on param, m, v (f32 moments); bias corrections computed here in f64. */
import type { KernelAttrs, KernelInputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

export function adamW(
  backend: CudaBackend,
  { param, grad, m, v }: KernelInputs<'AdamW'>,
  attrs: KernelAttrs<'AdamW'>,
): undefined {
  if (attrs.step < 1) throw new Error(`AdamW: step counts from 1, got ${attrs.step}`);
  backend.ctx.AdamW(
    backend.id(param),
    backend.id(grad),
    backend.id(m),
    backend.id(v),
    backend.code(param.dtype),
    sizeOf(param.shape),
    attrs.lr,
    attrs.beta1,
    attrs.beta2,
    attrs.eps,
    attrs.weightDecay,
    1 - attrs.beta1 ** attrs.step,
    1 - attrs.beta2 ** attrs.step,
  );
  return undefined;
}

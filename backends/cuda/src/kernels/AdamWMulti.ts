/**
 * AdamWMulti (native/kernels/adamw_multi.cu): every tensor of the lists in ONE launch (a device table of tensors and
 * chunks), in place, with the per-element code of AdamW — bit-identical results. Bias corrections computed here in
 * f64, as for AdamW.
 */
import type { KernelAttrs, KernelInputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';
import { isDeviceFloat } from './checks.js';

/** supportsKernel's answer for AdamWMulti (list inputs): params and grads of one device float dtype, f32 moments. */
export function adamWMultiSupport({ params, grads, m, v }: KernelInputs<'AdamWMulti'>): true | string {
  const dtype = params[0]?.dtype;
  if (dtype === undefined || !isDeviceFloat(dtype)) return `params: dtype ${dtype} is not one of f32, f16, bf16`;
  for (let i = 0; i < params.length; i++) {
    if (params[i]!.dtype !== dtype || grads[i]!.dtype !== dtype)
      return `params and grads of mixed dtypes (tensor ${i})`;
    if (m[i]!.dtype !== 'f32' || v[i]!.dtype !== 'f32') return `m and v must be f32 on the CUDA backend (tensor ${i})`;
  }
  return true;
}

export function adamWMulti(
  backend: CudaBackend,
  { params, grads, m, v }: KernelInputs<'AdamWMulti'>,
  attrs: KernelAttrs<'AdamWMulti'>,
): undefined {
  if (attrs.step < 1) throw new Error(`AdamWMulti: step counts from 1, got ${attrs.step}`);
  const ids = (list: KernelInputs<'AdamWMulti'>['params']) => list.map((t) => backend.id(t));
  // Registered only when the loaded addon has the method (register-addon-kernels.ts).
  backend.ctx.AdamWMulti!(
    ids(params),
    ids(grads),
    ids(m),
    ids(v),
    params.map((p) => sizeOf(p.shape)),
    [...attrs.lr],
    [...attrs.weightDecay],
    backend.code(params[0]!.dtype),
    attrs.beta1,
    attrs.beta2,
    attrs.eps,
    1 - attrs.beta1 ** attrs.step,
    1 - attrs.beta2 ** attrs.step,
  );
  return undefined;
}

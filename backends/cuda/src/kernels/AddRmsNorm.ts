/**
 * AddRmsNorm (native/kernels/add_rms_norm.cu): the residual add and the RmsNorm of its stored result in one launch —
 * the bits of Add followed by this backend's RmsNorm (the same reduction order). x, residual [..., D], weight [D],
 * one dtype among f32, f16, bf16.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

/** add_rms_norm.cuh's kAddRmsNormMaxD: one row of f32 sums in a launch's default 48 KiB of shared memory. */
export const ADD_RMS_NORM_MAX_D = (48 * 1024) / 4;

export function addRmsNorm(
  backend: CudaBackend,
  { x, residual, weight }: KernelInputs<'AddRmsNorm'>,
  { eps }: KernelAttrs<'AddRmsNorm'>,
): KernelOutputs<'AddRmsNorm'> {
  const D = weight.shape[0]!;
  const sum = backend.output(x.shape, x.dtype);
  const normed = backend.output(x.shape, x.dtype);
  const rows = D === 0 ? 0 : sizeOf(x.shape) / D;
  backend.ctx.AddRmsNorm(
    backend.id(sum),
    backend.id(normed),
    backend.id(x),
    backend.id(residual),
    backend.id(weight),
    backend.code(x.dtype),
    rows,
    D,
    eps,
  );
  return { sum, normed };
}

/** The kernel keeps a row of sums in shared memory: D up to ADD_RMS_NORM_MAX_D. */
export function addRmsNormSupport({ weight }: Pick<KernelInputs<'AddRmsNorm'>, 'weight'>): true | string {
  const D = weight.shape[0]!;
  if (D > ADD_RMS_NORM_MAX_D) return `D = ${D} exceeds ${ADD_RMS_NORM_MAX_D} (one row of sums in shared memory)`;
  return true;
}

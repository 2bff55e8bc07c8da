/** RmsNorm (+Grad) and RmsNormGated (+Grad) (native/kernels/rms_norm.cu). x [..., D], weight [D]. */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

export function rmsNorm(
  backend: CudaBackend,
  { x, weight }: KernelInputs<'RmsNorm'>,
  { eps }: KernelAttrs<'RmsNorm'>,
): TensorInfo {
  const D = weight.shape[0]!;
  const out = backend.output(x.shape, x.dtype);
  const rows = D === 0 ? 0 : sizeOf(x.shape) / D;
  backend.ctx.RmsNorm(backend.id(out), backend.id(x), backend.id(weight), backend.code(x.dtype), rows, D, eps);
  return out;
}

export function rmsNormGrad(
  backend: CudaBackend,
  { dy, x, weight }: KernelInputs<'RmsNormGrad'>,
  { eps }: KernelAttrs<'RmsNormGrad'>,
): KernelOutputs<'RmsNormGrad'> {
  const D = weight.shape[0]!;
  const dx = backend.output(x.shape, x.dtype);
  const dweight = backend.output(weight.shape, weight.dtype);
  const rows = D === 0 ? 0 : sizeOf(x.shape) / D;
  backend.ctx.RmsNormGrad(
    backend.id(dx),
    backend.id(dweight),
    backend.id(dy),
    backend.id(x),
    backend.id(weight),
    backend.code(x.dtype),
    rows,
    D,
    eps,
  );
  return { dx, dweight };
}

export function rmsNormGated(
  backend: CudaBackend,
  { x, z, weight }: KernelInputs<'RmsNormGated'>,
  attrs: KernelAttrs<'RmsNormGated'>,
): TensorInfo {
  const D = weight.shape[0]!;
  const out = backend.output(x.shape, x.dtype);
  const rows = D === 0 ? 0 : sizeOf(x.shape) / D;
  backend.ctx.RmsNormGated(
    backend.id(out),
    backend.id(x),
    backend.id(z),
    backend.id(weight),
    backend.code(x.dtype),
    rows,
    D,
    attrs.groupSize,
    attrs.eps,
    attrs.normBeforeGate,
  );
  return out;
}

export function rmsNormGatedGrad(
  backend: CudaBackend,
  { dy, x, z, weight }: KernelInputs<'RmsNormGatedGrad'>,
  attrs: KernelAttrs<'RmsNormGatedGrad'>,
): KernelOutputs<'RmsNormGatedGrad'> {
  const D = weight.shape[0]!;
  const dx = backend.output(x.shape, x.dtype);
  const dz = backend.output(z.shape, z.dtype);
  const dweight = backend.output(weight.shape, weight.dtype);
  const rows = D === 0 ? 0 : sizeOf(x.shape) / D;
  backend.ctx.RmsNormGatedGrad(
    backend.id(dx),
    backend.id(dz),
    backend.id(dweight),
    backend.id(dy),
    backend.id(x),
    backend.id(z),
    backend.id(weight),
    backend.code(x.dtype),
    rows,
    D,
    attrs.groupSize,
    attrs.eps,
    attrs.normBeforeGate,
  );
  return { dx, dz, dweight };
}

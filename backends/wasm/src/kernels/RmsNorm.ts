import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';
import { requireFloat } from './elementwise-factories.js';

/** y = weight ⊙ round_x(x·rsqrt(mean(x²) + eps)): csrc/kernels/RmsNorm.c */
export function rmsNorm(
  backend: WasmBackend,
  { x, weight }: KernelInputs<'RmsNorm'>,
  { eps }: KernelAttrs<'RmsNorm'>,
): TensorInfo {
  requireFloat('RmsNorm', x);
  const D = weight.shape[0]!;
  const out = backend.allocate(x.shape, x.dtype);
  backend.m._RmsNorm(out.ptr, backend.ptr(x), backend.ptr(weight), sizeOf(x.shape) / D, D, eps, dtypeCode(x.dtype));
  return out.info;
}

export function rmsNormGrad(
  backend: WasmBackend,
  { dy, x, weight }: KernelInputs<'RmsNormGrad'>,
  { eps }: KernelAttrs<'RmsNormGrad'>,
): KernelOutputs<'RmsNormGrad'> {
  const D = weight.shape[0]!;
  const dx = backend.allocate(x.shape, x.dtype);
  const dweight = backend.allocate(weight.shape, weight.dtype);
  backend.m._RmsNormGrad(
    dx.ptr,
    dweight.ptr,
    backend.ptr(dy),
    backend.ptr(x),
    backend.ptr(weight),
    sizeOf(x.shape) / D,
    D,
    eps,
    dtypeCode(x.dtype),
    dtypeCode(weight.dtype),
  );
  return { dx: dx.info, dweight: dweight.info };
}

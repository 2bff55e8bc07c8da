import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Mamba2's grouped gated RMSNorm (the SiLU gate fused in): csrc/kernels/RmsNormGated.c */
export function rmsNormGated(
  backend: WasmBackend,
  { x, z, weight }: KernelInputs<'RmsNormGated'>,
  attrs: KernelAttrs<'RmsNormGated'>,
): TensorInfo {
  const D = weight.shape[0]!;
  const out = backend.allocate(x.shape, x.dtype);
  backend.m._RmsNormGated(
    out.ptr,
    backend.ptr(x),
    backend.ptr(z),
    backend.ptr(weight),
    sizeOf(x.shape) / D,
    D,
    attrs.groupSize,
    attrs.eps,
    attrs.normBeforeGate ? 1 : 0,
    dtypeCode(x.dtype),
  );
  return out.info;
}

export function rmsNormGatedGrad(
  backend: WasmBackend,
  { dy, x, z, weight }: KernelInputs<'RmsNormGatedGrad'>,
  attrs: KernelAttrs<'RmsNormGatedGrad'>,
): KernelOutputs<'RmsNormGatedGrad'> {
  const D = weight.shape[0]!;
  const dx = backend.allocate(x.shape, x.dtype);
  const dz = backend.allocate(z.shape, z.dtype);
  const dweight = backend.allocate(weight.shape, weight.dtype);
  backend.m._RmsNormGatedGrad(
    dx.ptr,
    dz.ptr,
    dweight.ptr,
    backend.ptr(dy),
    backend.ptr(x),
    backend.ptr(z),
    backend.ptr(weight),
    sizeOf(x.shape) / D,
    D,
    attrs.groupSize,
    attrs.eps,
    attrs.normBeforeGate ? 1 : 0,
    dtypeCode(x.dtype),
    dtypeCode(weight.dtype),
  );
  return { dx: dx.info, dz: dz.info, dweight: dweight.info };
}

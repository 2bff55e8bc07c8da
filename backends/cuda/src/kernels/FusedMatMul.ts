/**
 * AddRmsNormMatMul and SwiGluPackedMatMul: the product of a Linear weight with the output of AddRmsNorm or
 * SwiGluPacked, one launch at decode shapes (native/kernels/mat_vec.cu's prologue kernel: each block computes the
 * product's rows in shared memory exactly as the separate kernel stores them, so the bits are those of the two
 * kernels), else the two kernels with the intermediate in scratch memory (the addon decides; up to 8 rows of at
 * most 48 KB take the one launch). AddRmsNormSwiGluMlp: both products of a decode step's MLP, the activation as the
 * gate|up product's epilogue (mat_vec.cu's norm-prologue kernel up to 8 rows, skinny_gemm.cu's SwiGLU tiles after
 * AddRmsNorm at 9–32 16-bit rows), then the down product. One dtype among f32, f16, bf16.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

/** Rows of `t` [..., inner]. */
function rowsOf(t: TensorInfo, inner: number): number {
  return inner === 0 ? 0 : sizeOf(t.shape) / inner;
}

/** A norm-fused kernel's outputs: the stored sum, x's shape, and y [..., N]; both in x's dtype. */
function sumAndY(backend: CudaBackend, x: TensorInfo, N: number): { sum: TensorInfo; y: TensorInfo } {
  return { sum: backend.output(x.shape, x.dtype), y: backend.output([...x.shape.slice(0, -1), N], x.dtype) };
}

// Registered only when the loaded addon has the methods (register-addon-kernels.ts), hence the non-null assertions.
export function addRmsNormMatMul(
  backend: CudaBackend,
  { x, residual, normWeight, weight }: KernelInputs<'AddRmsNormMatMul'>,
  { eps }: KernelAttrs<'AddRmsNormMatMul'>,
): KernelOutputs<'AddRmsNormMatMul'> {
  const D = normWeight.shape[0]!;
  const N = weight.shape[0]!;
  const { sum, y } = sumAndY(backend, x, N);
  backend.ctx.AddRmsNormMatMul!(
    backend.id(sum),
    backend.id(y),
    backend.id(x),
    backend.id(residual),
    backend.id(normWeight),
    backend.id(weight),
    backend.code(x.dtype),
    rowsOf(x, D),
    D,
    N,
    eps,
  );
  return { sum, y };
}

export function swiGluPackedMatMul(
  backend: CudaBackend,
  { gateUp, weight }: KernelInputs<'SwiGluPackedMatMul'>,
  { gateMultiplier }: KernelAttrs<'SwiGluPackedMatMul'>,
): TensorInfo {
  const inner = gateUp.shape[gateUp.shape.length - 1]! / 2;
  const N = weight.shape[0]!;
  const y = backend.output([...gateUp.shape.slice(0, -1), N], gateUp.dtype);
  backend.ctx.SwiGluPackedMatMul!(
    backend.id(y),
    backend.id(gateUp),
    backend.id(weight),
    backend.code(gateUp.dtype),
    rowsOf(gateUp, 2 * inner),
    inner,
    N,
    gateMultiplier,
  );
  return y;
}

export function addRmsNormSwiGluMlp(
  backend: CudaBackend,
  { x, residual, normWeight, gateUpWeight, downWeight }: KernelInputs<'AddRmsNormSwiGluMlp'>,
  { eps, gateMultiplier }: KernelAttrs<'AddRmsNormSwiGluMlp'>,
): KernelOutputs<'AddRmsNormSwiGluMlp'> {
  const D = normWeight.shape[0]!;
  const I = gateUpWeight.shape[0]! / 2;
  const N = downWeight.shape[0]!;
  const { sum, y } = sumAndY(backend, x, N);
  backend.ctx.AddRmsNormSwiGluMlp!(
    backend.id(sum),
    backend.id(y),
    backend.id(x),
    backend.id(residual),
    backend.id(normWeight),
    backend.id(gateUpWeight),
    backend.id(downWeight),
    backend.code(x.dtype),
    rowsOf(x, D),
    D,
    I,
    N,
    eps,
    gateMultiplier,
  );
  return { sum, y };
}

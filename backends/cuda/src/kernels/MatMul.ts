/**
 * MatMul (native/kernels/mat_mul.cu): cuBLASLt strided-batched GEMM with f32 accumulation (no TF32), broadcast batch
 * dims handled as outer offsets × one strided batch (src/strides.ts planMatMul); i32 and layouts cuBLASLt declines
 * run on the fallback tiled kernel.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';
import { planMatMul } from '../strides.js';
import { requireSame } from './checks.js';

export function matMul(
  backend: CudaBackend,
  { a, b }: KernelInputs<'MatMul'>,
  attrs: KernelAttrs<'MatMul'>,
): TensorInfo {
  requireSame('MatMul', a, b);
  if (a.dtype === 'u8') throw new Error('MatMul: u8 is not supported');
  const p = planMatMul(a.shape, b.shape, attrs.transposeA, attrs.transposeB);
  const out = backend.output(p.outShape, a.dtype);
  backend.ctx.MatMul(
    backend.id(out),
    backend.id(a),
    backend.id(b),
    backend.code(a.dtype),
    p.M,
    p.N,
    p.K,
    attrs.transposeA,
    attrs.transposeB,
    p.batch,
    p.strideA,
    p.strideB,
    p.strideC,
    p.outerA,
    p.outerB,
  );
  return out;
}

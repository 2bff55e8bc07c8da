/**
 * LinearCrossEntropy (+Grad): the LM head and its cross-entropy over vocabulary chunks, so the [R, V] logits are never
 * allocated — at most one [R, C] chunk is. The chunk loop runs here; each chunk's logits z = hidden · W[c0 : c0+C]ᵀ
 * and the gradient products are the backend's own GEMM (cuBLASLt, the weight chunk addressed by an element offset,
 * no copy), the softmax statistics and gradients are native/kernels/linear_cross_entropy.cu:
 *   forward   per chunk: GEMM → online (max, Σ exp) per row + the label's logit; then loss = lse − logit[label]
 *   backward  the same pass for lse, then per chunk: GEMM → g = dloss·(softmax − onehot)·scale in place →
 *             dhidden += g · W_c (f32 accumulator) and dweight[c0 : c0+C] = gᵀ · hidden
 * Scratch: one [R, C] chunk, and in the backward an [R, D] f32 accumulator plus [R, D] and [C, D] GEMM outputs.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { BYTES_PER_ELEMENT } from '@falcon-h1/core-tensor';
import { DTYPE_CODE } from '../binding.js';
import type { CudaBackend } from '../cuda-backend.js';
import { requireSame } from './checks.js';

/** A chunk of logits is kept near this size when the caller leaves the chunk size to the backend. */
const CHUNK_BYTES = 256 * 2 ** 20;

/** Vocabulary rows per chunk: the caller's hint, else as many as fit CHUNK_BYTES (a multiple of 128, ≥ 128). */
export function chunkRows(R: number, V: number, elementBytes: number, hint: number): number {
  if (hint > 0) return Math.min(hint, V);
  const rows = Math.floor(CHUNK_BYTES / Math.max(1, R * elementBytes));
  return Math.min(V, Math.max(128, rows - (rows % 128)));
}

interface Head {
  R: number;
  D: number;
  V: number;
  C: number;
  code: number;
  hidden: TensorInfo;
  weight: TensorInfo;
  labels: TensorInfo;
  scale: number;
  ignoreIndex: number;
}

function head(
  backend: CudaBackend,
  kernel: string,
  { hidden, weight, labels }: { hidden: TensorInfo; weight: TensorInfo; labels: TensorInfo },
  { scale, ignoreIndex, chunkSize }: KernelAttrs<'LinearCrossEntropy'>,
): Head {
  requireSame(kernel, hidden, weight);
  const [R, D] = hidden.shape as [number, number];
  const V = weight.shape[0]!;
  const C = chunkRows(R, V, BYTES_PER_ELEMENT[hidden.dtype], chunkSize);
  return { R, D, V, C, code: backend.code(hidden.dtype), hidden, weight, labels, scale, ignoreIndex };
}

/** Row-major out[M, N] = op(a)[M, K] · op(b)[K, N], with a and b read from element offsets. */
function gemm(
  backend: CudaBackend,
  h: Head,
  out: TensorInfo,
  [a, offsetA, transA]: [TensorInfo, number, boolean],
  [b, offsetB, transB]: [TensorInfo, number, boolean],
  M: number,
  N: number,
  K: number,
): void {
  const ids = [backend.id(out), backend.id(a), backend.id(b)] as const;
  backend.ctx.MatMul(...ids, h.code, M, N, K, transA, transB, 1, 0, 0, M * N, [offsetA], [offsetB]);
}

/** Calls fn(c0, Cc) for each vocabulary chunk after writing its logits z [R, Cc] into `z`. */
function forEachChunk(backend: CudaBackend, h: Head, z: TensorInfo, fn: (c0: number, Cc: number) => void): void {
  for (let c0 = 0; c0 < h.V; c0 += h.C) {
    const Cc = Math.min(h.C, h.V - c0);
    gemm(backend, h, z, [h.hidden, 0, false], [h.weight, c0 * h.D, true], h.R, Cc, h.D);
    fn(c0, Cc);
  }
}

/** The online-logsumexp pass: loss [R] f32, and lse [R] f32 when asked (the backward's softmax normaliser). */
function logSumExpPass(backend: CudaBackend, h: Head, withLse: boolean): { loss: TensorInfo; lse?: TensorInfo } {
  const stats = [backend.output([h.R], 'f32'), backend.output([h.R], 'f32'), backend.output([h.R], 'f32')];
  const [runMax, runSum, target] = stats.map((t) => backend.id(t)) as [number, number, number];
  const z = backend.output([h.R, h.C], h.hidden.dtype);
  forEachChunk(backend, h, z, (c0, Cc) => {
    backend.ctx.LceChunkStats!(
      backend.id(z),
      backend.id(h.labels),
      runMax,
      runSum,
      target,
      h.code,
      h.R,
      Cc,
      c0,
      h.scale,
      h.ignoreIndex,
      c0 === 0,
    );
  });
  backend.release(z);
  const loss = backend.output([h.R], 'f32');
  const lse = withLse ? backend.output([h.R], 'f32') : undefined;
  backend.ctx.LceLoss!(
    backend.id(loss),
    backend.idOpt(lse),
    runMax,
    runSum,
    target,
    backend.id(h.labels),
    h.R,
    h.V,
    h.ignoreIndex,
  );
  for (const t of stats) backend.release(t);
  return { loss, lse };
}

// The Lce* addon methods are optional in the binding (newer than the prebuilt); these kernels are registered only
// when the loaded addon has them (register-addon-kernels.ts), hence the non-null assertions.

export function linearCrossEntropy(
  backend: CudaBackend,
  inputs: KernelInputs<'LinearCrossEntropy'>,
  attrs: KernelAttrs<'LinearCrossEntropy'>,
): TensorInfo {
  return logSumExpPass(backend, head(backend, 'LinearCrossEntropy', inputs, attrs), false).loss;
}

export function linearCrossEntropyGrad(
  backend: CudaBackend,
  { dloss, ...inputs }: KernelInputs<'LinearCrossEntropyGrad'>,
  attrs: KernelAttrs<'LinearCrossEntropyGrad'>,
): { dhidden: TensorInfo; dweight: TensorInfo } {
  const h = head(backend, 'LinearCrossEntropyGrad', inputs, attrs);
  const { R, D, C } = h;
  const dtype = h.hidden.dtype;
  const { loss, lse } = logSumExpPass(backend, h, true);
  backend.release(loss);
  const dweight = backend.output([h.V, D], dtype);
  const dhidden = backend.output([R, D], dtype);
  // f32 sums the chunks' dhidden contributions in place; 16-bit dtypes sum in an f32 accumulator, rounded once.
  const acc = dtype === 'f32' ? dhidden : backend.output([R, D], 'f32');
  const dhChunk = backend.output([R, D], dtype);
  const dwChunk = backend.output([C, D], dtype);
  const z = backend.output([R, C], dtype);
  forEachChunk(backend, h, z, (c0, Cc) => {
    backend.ctx.LceChunkGrad!(
      backend.id(z),
      backend.id(dloss),
      backend.id(lse!),
      backend.id(h.labels),
      h.code,
      R,
      Cc,
      c0,
      h.scale,
      h.ignoreIndex,
    );
    gemm(backend, h, dhChunk, [z, 0, false], [h.weight, c0 * D, false], R, D, Cc);
    backend.ctx.LceAccumulate!(backend.id(acc), backend.id(dhChunk), h.code, R * D, c0 === 0);
    gemm(backend, h, dwChunk, [z, 0, true], [h.hidden, 0, false], Cc, D, R);
    const bytes = BYTES_PER_ELEMENT[dtype];
    backend.ctx.Slice(backend.id(dweight), backend.id(dwChunk), bytes, [Cc * D], [1], 0, [1], c0 * D);
  });
  if (acc !== dhidden) {
    backend.ctx.Cast(backend.id(dhidden), backend.id(acc), DTYPE_CODE.f32, h.code, R * D);
    backend.release(acc);
  }
  for (const t of [z, dhChunk, dwChunk, lse!]) backend.release(t);
  return { dhidden, dweight };
}

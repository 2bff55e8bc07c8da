import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { broadcastShapes, broadcastSourceIndices } from '../broadcast.js';
import type { BufferStore } from '../buffer-store.js';

/**
 * Batched matrix product, accumulated in f64 and rounded once per output element.
 *   a: [...batchA, M, K]  (transposeA: [...batchA, K, M])
 *   b: [...batchB, K, N]  (transposeB: [...batchB, N, K])
 *   out: [...broadcast(batchA, batchB), M, N], dtype of a (float or i32)
 */
export function matMul(store: BufferStore, { a, b }: KernelInputs<'MatMul'>, attrs: KernelAttrs<'MatMul'>): TensorInfo {
  const { transposeA, transposeB } = attrs;
  if (a.dtype !== b.dtype) throw new Error(`MatMul: a and b must share one dtype, got ${a.dtype} and ${b.dtype}`);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batchA = a.shape.slice(0, ra - 2);
  const batchB = b.shape.slice(0, rb - 2);
  const batch = broadcastShapes(batchA, batchB);
  const matrixOfA = broadcastSourceIndices(batchA, batch); // output batch index → a's matrix index
  const matrixOfB = broadcastSourceIndices(batchB, batch);
  const as = store.numbers(a);
  const bs = store.numbers(b);
  const out = new Float64Array(matrixOfA.length * M * N);
  for (let batchIndex = 0; batchIndex < matrixOfA.length; batchIndex++) {
    const aBase = matrixOfA[batchIndex] * M * K;
    const bBase = matrixOfB[batchIndex] * K * N;
    const outBase = batchIndex * M * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const aval = as[aBase + (transposeA ? k * M + m : m * K + k)];
          const bval = bs[bBase + (transposeB ? n * K + k : k * N + n)];
          acc += aval * bval;
        }
        out[outBase + m * N + n] = acc;
      }
    }
  }
  return store.output(out, [...batch, M, N], a.dtype);
}

/**
 * The bias-free projection step of the fused "op then MatMul" kernels (AddRmsNormMatMul, SwiGluPackedMatMul):
 * MatMul.ts on `h` [..., K] seen as [R, K] by weight [N, K] transposed, the result seen as [..., N]. `h` is the
 * first op's stored output, an intermediate the fused kernel does not return: its buffer is freed here.
 */
import type { TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { matMul } from './MatMul.js';

export function projectRows(store: BufferStore, h: TensorInfo, weight: TensorInfo): TensorInfo {
  const k = h.shape[h.shape.length - 1]!;
  const lead = h.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  // A buffer's values are flat: the same dataId serves as [R, K] (the MatMul's rank-2 operand) and its result as
  // [..., N].
  const y = matMul(store, { a: { ...h, shape: [rows, k] }, b: weight }, { transposeA: false, transposeB: true });
  store.dispose(h.dataId);
  return { ...y, shape: [...lead, weight.shape[0]!] };
}

/**
 * CrossEntropy and CrossEntropyGrad: per-row cross-entropy of logits [R, V] against labels i32 [R], in f64.
 *   loss[r]    = logsumexp(logits[r]) − logits[r, label[r]]         (0 where label[r] = ignoreIndex)
 *   dlogits[r] = dloss[r] · (softmax(logits[r]) − onehot(label[r]))  (0 where label[r] = ignoreIndex)
 * Losses are f32 (f64 for f64 logits); dlogits has the logits' dtype. A label outside [0, V) that is not
 * ignoreIndex throws, naming the row.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

function checkLabel(label: number, r: number, V: number): void {
  if (label < 0 || label >= V) throw new Error(`CrossEntropy: label ${label} of row ${r} is out of range [0, ${V})`);
}

function logSumExp(logits: Float64Array, row: number, V: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[row + i]);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[row + i] - max);
  return max + Math.log(sum);
}

/** loss [R] ← cross-entropy of logits [R, V] against labels [R]. */
export function crossEntropyForward(
  loss: Float64Array,
  logits: Float64Array,
  labels: Int32Array,
  ignoreIndex: number,
  R: number,
  V: number,
): void {
  for (let r = 0; r < R; r++) {
    if (labels[r] === ignoreIndex) continue;
    checkLabel(labels[r], r, V);
    loss[r] = logSumExp(logits, r * V, V) - logits[r * V + labels[r]];
  }
}

/** dlogits [R, V] ← dloss[r] · (softmax(logits[r]) − onehot(labels[r])). */
export function crossEntropyBackward(
  dlogits: Float64Array,
  dloss: Float64Array,
  logits: Float64Array,
  labels: Int32Array,
  ignoreIndex: number,
  R: number,
  V: number,
): void {
  for (let r = 0; r < R; r++) {
    if (labels[r] === ignoreIndex) continue;
    checkLabel(labels[r], r, V);
    const row = r * V;
    const lse = logSumExp(logits, row, V);
    for (let i = 0; i < V; i++) {
      const p = Math.exp(logits[row + i] - lse);
      dlogits[row + i] = dloss[r] * (p - (i === labels[r] ? 1 : 0));
    }
  }
}

export function crossEntropy(
  store: BufferStore,
  { logits, labels }: KernelInputs<'CrossEntropy'>,
  { ignoreIndex }: KernelAttrs<'CrossEntropy'>,
): TensorInfo {
  const [R, V] = logits.shape;
  const loss = new Float64Array(R);
  crossEntropyForward(loss, store.floats(logits), store.ints(labels), ignoreIndex, R, V);
  return store.output(loss, [R], logits.dtype === 'f64' ? 'f64' : 'f32');
}

export function crossEntropyGrad(
  store: BufferStore,
  { dloss, logits, labels }: KernelInputs<'CrossEntropyGrad'>,
  { ignoreIndex }: KernelAttrs<'CrossEntropyGrad'>,
): TensorInfo {
  const [R, V] = logits.shape;
  const dlogits = new Float64Array(R * V);
  crossEntropyBackward(dlogits, store.floats(dloss), store.floats(logits), store.ints(labels), ignoreIndex, R, V);
  return store.output(dlogits, logits.shape, logits.dtype);
}

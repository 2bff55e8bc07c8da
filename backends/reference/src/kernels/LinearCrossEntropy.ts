/**
 * LinearCrossEntropy and LinearCrossEntropyGrad: the language-model head and its cross-entropy, in f64, one row of
 * logits at a time (the oracle never holds [R, V] either). hidden [R, D], weight [V, D], labels i32 [R]:
 *   z[r, j]  = round_dtype(Σ_d hidden[r, d] · weight[j, d])          (what MatMul stores)
 *   loss[r]  = logsumexp_j(scale · z[r, j]) − scale · z[r, label[r]]  (0 where label[r] = ignoreIndex)
 *   g[r, j]  = dloss[r] · (softmax_j(scale · z[r]) − onehot(label[r])_j) · scale
 *   dhidden  = g · weight ;  dweight = gᵀ · hidden
 * chunkSize is a hint for chunked backends and changes nothing here. A label outside [0, V) throws, naming the row.
 */
import type { FloatDType, KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { roundToDType } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

interface Head {
  h: Float64Array;
  w: Float64Array;
  labels: Int32Array;
  R: number;
  V: number;
  D: number;
  dtype: FloatDType;
}

function head(store: BufferStore, hidden: TensorInfo, weight: TensorInfo, labels: TensorInfo): Head {
  const [R, D] = hidden.shape as [number, number];
  const V = weight.shape[0]!;
  return {
    h: store.floats(hidden),
    w: store.floats(weight),
    labels: store.ints(labels),
    R,
    V,
    D,
    dtype: hidden.dtype as FloatDType,
  };
}

/** scale · z[r, ·] into `logits` [V]; returns logsumexp of the row. */
function rowLogits(p: Head, r: number, scale: number, logits: Float64Array): number {
  const { h, w, V, D, dtype } = p;
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < V; j++) {
    let dot = 0;
    for (let d = 0; d < D; d++) dot += h[r * D + d]! * w[j * D + d]!;
    logits[j] = scale * roundToDType(dot, dtype);
    max = Math.max(max, logits[j]!);
  }
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp(logits[j]! - max);
  return max + Math.log(sum);
}

function checkLabel(label: number, r: number, V: number): void {
  if (label < 0 || label >= V) {
    throw new Error(`LinearCrossEntropy: label ${label} of row ${r} is out of range [0, ${V})`);
  }
}

export function linearCrossEntropy(
  store: BufferStore,
  { hidden, weight, labels }: KernelInputs<'LinearCrossEntropy'>,
  { scale, ignoreIndex }: KernelAttrs<'LinearCrossEntropy'>,
): TensorInfo {
  const p = head(store, hidden, weight, labels);
  const loss = new Float64Array(p.R);
  const logits = new Float64Array(p.V);
  for (let r = 0; r < p.R; r++) {
    const label = p.labels[r]!;
    if (label === ignoreIndex) continue;
    checkLabel(label, r, p.V);
    loss[r] = rowLogits(p, r, scale, logits) - logits[label]!;
  }
  return store.output(loss, [p.R], p.dtype === 'f64' ? 'f64' : 'f32');
}

export function linearCrossEntropyGrad(
  store: BufferStore,
  { dloss, hidden, weight, labels }: KernelInputs<'LinearCrossEntropyGrad'>,
  { scale, ignoreIndex }: KernelAttrs<'LinearCrossEntropyGrad'>,
): { dhidden: TensorInfo; dweight: TensorInfo } {
  const p = head(store, hidden, weight, labels);
  const { h, w, R, V, D } = p;
  const dl = store.floats(dloss);
  const dh = new Float64Array(R * D);
  const dw = new Float64Array(V * D);
  const logits = new Float64Array(V);
  for (let r = 0; r < R; r++) {
    const label = p.labels[r]!;
    if (label === ignoreIndex) continue;
    checkLabel(label, r, V);
    const lse = rowLogits(p, r, scale, logits);
    for (let j = 0; j < V; j++) {
      const g = dl[r]! * (Math.exp(logits[j]! - lse) - (j === label ? 1 : 0)) * scale;
      if (g === 0) continue;
      for (let d = 0; d < D; d++) {
        dh[r * D + d] += g * w[j * D + d]!;
        dw[j * D + d] += g * h[r * D + d]!;
      }
    }
  }
  return {
    dhidden: store.output(dh, hidden.shape, hidden.dtype),
    dweight: store.output(dw, weight.shape, weight.dtype),
  };
}

/**
 * Softmax and SoftmaxGrad over the last axis, in f64. Leading axes are flattened into rows: x [R, D].
 *   y  = exp(x − max(x)) / Σ exp(x − max(x))
 *   dx = y ⊙ (dy − Σ(dy ⊙ y))
 */
import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

/** y [R, D] ← softmax(x [R, D]) row by row. */
export function softmaxForward(y: Float64Array, x: Float64Array, R: number, D: number): void {
  for (let r = 0; r < R; r++) {
    const row = r * D;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < D; i++) max = Math.max(max, x[row + i]);
    let sum = 0;
    for (let i = 0; i < D; i++) {
      y[row + i] = Math.exp(x[row + i] - max);
      sum += y[row + i];
    }
    for (let i = 0; i < D; i++) y[row + i] /= sum;
  }
}

/** dx [R, D] ← y ⊙ (dy − Σ_row(dy ⊙ y)), y the softmax output. */
export function softmaxBackward(dx: Float64Array, dy: Float64Array, y: Float64Array, R: number, D: number): void {
  for (let r = 0; r < R; r++) {
    const row = r * D;
    let dot = 0;
    for (let i = 0; i < D; i++) dot += dy[row + i] * y[row + i];
    for (let i = 0; i < D; i++) dx[row + i] = y[row + i] * (dy[row + i] - dot);
  }
}

export function softmax(store: BufferStore, { x }: KernelInputs<'Softmax'>): TensorInfo {
  const xs = store.floats(x);
  const D = x.shape.at(-1) ?? 1;
  const y = new Float64Array(xs.length);
  softmaxForward(y, xs, D === 0 ? 0 : xs.length / D, D);
  return store.output(y, x.shape, x.dtype);
}

export function softmaxGrad(store: BufferStore, { dy, y }: KernelInputs<'SoftmaxGrad'>): TensorInfo {
  const ys = store.floats(y);
  const D = y.shape.at(-1) ?? 1;
  const dx = new Float64Array(ys.length);
  softmaxBackward(dx, store.floats(dy), ys, D === 0 ? 0 : ys.length / D, D);
  return store.output(dx, y.shape, y.dtype);
}

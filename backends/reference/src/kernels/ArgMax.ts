import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { splitAtAxis } from '../shape.js';

/**
 * Index (i32) of the first maximum along `axis`, which is removed. A NaN counts as the maximum (the first NaN
 * wins), matching Max's NaN propagation and PyTorch's argmax.
 */
export function argMax(store: BufferStore, { x }: KernelInputs<'ArgMax'>, { axis }: KernelAttrs<'ArgMax'>): TensorInfo {
  const xs = store.numbers(x);
  const [outer, n, inner] = splitAtAxis(x.shape, axis);
  if (n === 0) throw new Error('ArgMax: the reduced axis is empty');
  const y = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      let best = xs[o * n * inner + r];
      let bestIndex = 0;
      for (let i = 1; i < n && !Number.isNaN(best); i++) {
        const v = xs[(o * n + i) * inner + r];
        if (v > best || Number.isNaN(v)) {
          best = v;
          bestIndex = i;
        }
      }
      y[o * inner + r] = bestIndex;
    }
  }
  const shape = x.shape.filter((_, d) => d !== axis);
  return store.adopt(y, shape, 'i32');
}

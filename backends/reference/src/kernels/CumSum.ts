import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { splitAtAxis } from '../shape.js';

/**
 * Prefix sum along `axis`, accumulated in f64:
 *   inclusive y[i] = Σ_{j≤i} x[j];  reverse: Σ_{j≥i};  exclusive leaves the term j = i out.
 */
export function cumSum(store: BufferStore, { x }: KernelInputs<'CumSum'>, attrs: KernelAttrs<'CumSum'>): TensorInfo {
  const { axis, exclusive, reverse } = attrs;
  const xs = store.numbers(x);
  const [outer, n, inner] = splitAtAxis(x.shape, axis);
  const y = new Float64Array(xs.length);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      let acc = 0;
      for (let step = 0; step < n; step++) {
        const i = reverse ? n - 1 - step : step;
        const at = (o * n + i) * inner + r;
        if (exclusive) {
          y[at] = acc;
          acc += xs[at];
        } else {
          acc += xs[at];
          y[at] = acc;
        }
      }
    }
  }
  return store.output(y, x.shape, x.dtype);
}

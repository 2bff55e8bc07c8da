import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

/** y = min(max(x, min), max), elementwise (float dtypes); NaN stays NaN. */
export function clamp(
  store: BufferStore,
  { x }: KernelInputs<'Clamp'>,
  { min, max }: KernelAttrs<'Clamp'>,
): TensorInfo {
  const xs = store.floats(x);
  const y = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) y[i] = Math.min(Math.max(xs[i], min), max);
  return store.output(y, x.shape, x.dtype);
}

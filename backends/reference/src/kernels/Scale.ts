import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

/** y = x·scale + shift, elementwise (float dtypes). */
export function scale(store: BufferStore, { x }: KernelInputs<'Scale'>, attrs: KernelAttrs<'Scale'>): TensorInfo {
  const xs = store.floats(x);
  const y = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) y[i] = xs[i] * attrs.scale + attrs.shift;
  return store.output(y, x.shape, x.dtype);
}

import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { allocCompute, type BufferStore, type ElementArray } from '../buffer-store.js';
import { stridesOf } from '../shape.js';

/** Permutes axes: output dim d is input dim perm[d] (any dtype). */
export function transpose(
  store: BufferStore,
  { x }: KernelInputs<'Transpose'>,
  { perm }: KernelAttrs<'Transpose'>,
): TensorInfo {
  const xs: ElementArray = store.values(x);
  const inStrides = stridesOf(x.shape);
  const shape = perm.map((axis) => x.shape[axis]);
  const outStrides = stridesOf(shape);
  const y = allocCompute(x.dtype, xs.length);
  const ys: ElementArray = y;
  for (let i = 0; i < y.length; i++) {
    let source = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(i / outStrides[d]) % shape[d];
      source += coord * inStrides[perm[d]];
    }
    ys[i] = xs[source];
  }
  return store.adopt(y, shape, x.dtype);
}

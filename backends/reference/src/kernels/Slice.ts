import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { allocCompute, type BufferStore, type ElementArray } from '../buffer-store.js';
import { sizeOf, stridesOf } from '../shape.js';

/** y = x[begin[d] : begin[d] + size[d]] on every axis d (any dtype). */
export function slice(
  store: BufferStore,
  { x }: KernelInputs<'Slice'>,
  { begin, size }: KernelAttrs<'Slice'>,
): TensorInfo {
  const xs: ElementArray = store.values(x);
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(size);
  const y = allocCompute(x.dtype, sizeOf(size));
  const ys: ElementArray = y;
  for (let i = 0; i < y.length; i++) {
    let source = 0;
    for (let d = 0; d < size.length; d++) {
      const coord = Math.floor(i / outStrides[d]) % size[d];
      source += (begin[d] + coord) * inStrides[d];
    }
    ys[i] = xs[source];
  }
  return store.adopt(y, size, x.dtype);
}

import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { allocCompute, type BufferStore, type ElementArray } from '../buffer-store.js';
import { sizeOf, splitAtAxis } from '../shape.js';

/** Joins `xs` (one dtype, other dims equal) along `axis`. */
export function concat(
  store: BufferStore,
  { xs }: KernelInputs<'Concat'>,
  { axis }: KernelAttrs<'Concat'>,
): TensorInfo {
  if (xs.length === 0) throw new Error('Concat: needs at least one tensor');
  const dtype = xs[0].dtype;
  for (const x of xs) {
    if (x.dtype !== dtype) throw new Error(`Concat: tensors must share one dtype, got ${dtype} and ${x.dtype}`);
  }
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((total, x) => total + x.shape[axis], 0);
  const [outer] = splitAtAxis(shape, axis);
  const y = allocCompute(dtype, sizeOf(shape));
  const ys: ElementArray = y;
  // Row o of the output is the concatenation of row o of every input, each row being (its axis size × inner).
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const values: ElementArray = store.values(x);
      const [, n, inner] = splitAtAxis(x.shape, axis);
      const row = n * inner;
      for (let i = 0; i < row; i++) ys[at++] = values[o * row + i];
    }
  }
  return store.adopt(y, shape, dtype);
}

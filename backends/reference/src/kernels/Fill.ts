import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { sizeOf } from '../shape.js';

/** A new tensor of `shape` filled with `value`, rounded to `dtype` (ints: truncated and wrapped, as Cast). */
export function fill(
  store: BufferStore,
  _inputs: KernelInputs<'Fill'>,
  { shape, dtype, value }: KernelAttrs<'Fill'>,
): TensorInfo {
  return store.output(new Float64Array(sizeOf(shape)).fill(value), shape, dtype);
}

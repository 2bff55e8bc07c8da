import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { sizeOf } from '../shape.js';

/**
 * The adjoint of Gather: out [numRows, ...rest] = 0, then out[indices[i]] += updates[i] for every index position
 * i (duplicates accumulate, in f64). updates [...idx, ...rest], indices i32 [...idx]. An index outside
 * [0, numRows) throws.
 */
export function scatterAdd(
  store: BufferStore,
  { updates, indices }: KernelInputs<'ScatterAdd'>,
  { numRows }: KernelAttrs<'ScatterAdd'>,
): TensorInfo {
  const us = store.numbers(updates);
  const ids = store.ints(indices);
  const rest = updates.shape.slice(indices.shape.length);
  const rowSize = sizeOf(rest);
  const out = new Float64Array(numRows * rowSize);
  for (let i = 0; i < ids.length; i++) {
    const row = ids[i];
    if (row < 0 || row >= numRows) {
      throw new Error(`ScatterAdd: index ${row} at position ${i} is out of range [0, ${numRows})`);
    }
    for (let r = 0; r < rowSize; r++) out[row * rowSize + r] += us[i * rowSize + r];
  }
  return store.output(out, [numRows, ...rest], updates.dtype);
}

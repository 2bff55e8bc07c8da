import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { allocCompute, type BufferStore, type ElementArray } from '../buffer-store.js';
import { sizeOf } from '../shape.js';

/**
 * Embedding lookup along axis 0: table [V, ...rest] (any dtype), indices i32 [...idx] → out [...idx, ...rest].
 * An index outside [0, V) throws, naming the index and its position.
 */
export function gather(store: BufferStore, { table, indices }: KernelInputs<'Gather'>): TensorInfo {
  const rows: ElementArray = store.values(table);
  const ids = store.ints(indices);
  const [V, ...rest] = table.shape;
  const rowSize = sizeOf(rest);
  const y = allocCompute(table.dtype, ids.length * rowSize);
  const ys: ElementArray = y;
  for (let i = 0; i < ids.length; i++) {
    const row = ids[i];
    if (row < 0 || row >= V) throw new Error(`Gather: index ${row} at position ${i} is out of range [0, ${V})`);
    for (let r = 0; r < rowSize; r++) ys[i * rowSize + r] = rows[row * rowSize + r];
  }
  return store.adopt(y, [...indices.shape, ...rest], table.dtype);
}

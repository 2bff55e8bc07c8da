/**
 * CacheWrite: a decode step's rows written into a preallocated cache IN PLACE (like AdamW, it writes into an
 * input). cache [B, L, ...rest], values [B, T, ...rest] of one dtype, slots i32 [B] or [1]:
 *   cache[b, slots[b] + t, ...] = values[b, t, ...]   for t < T; a row whose window leaves [0, L) is untouched.
 * Values are copied element by element in compute form (already exact in the dtype: nothing to round).
 */
import type { KernelInputs } from '@falcon-h1/core-tensor';
import type { BufferStore, ElementArray } from '../buffer-store.js';
import { sizeOf } from '../shape.js';

export function cacheWrite(store: BufferStore, { cache, values, slots }: KernelInputs<'CacheWrite'>): undefined {
  const [b, l] = cache.shape as [number, number];
  const t = values.shape[1]!;
  const inner = sizeOf(cache.shape.slice(2));
  const target = store.values(cache) as ElementArray;
  const source = store.values(values) as ElementArray;
  const first = store.ints(slots);
  for (let row = 0; row < b; row++) {
    const slot = first[first.length === 1 ? 0 : row]!;
    if (slot < 0 || slot + t > l) continue;
    for (let i = 0; i < t; i++) {
      const to = (row * l + slot + i) * inner;
      const from = (row * t + i) * inner;
      for (let e = 0; e < inner; e++) target[to + e] = source[from + e]!;
    }
  }
  return undefined;
}

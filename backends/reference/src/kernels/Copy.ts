import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

/** A new buffer with the same contents (any dtype). */
export function copy(store: BufferStore, { x }: KernelInputs<'Copy'>): TensorInfo {
  return store.adopt(store.values(x).slice(), x.shape, x.dtype);
}

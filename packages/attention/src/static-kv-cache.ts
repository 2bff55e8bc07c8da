/**
 * A KV cache of fixed capacity L, for decode steps captured into a graph (core's `captureGraph`). The
 * concatenating `KVCache` changes shape every step, which a recorded graph cannot follow; this one keeps the same
 * three buffers for the whole generation and writes each step's keys and values into them in place.
 *
 *   keys   [B, L, Hkv, Dh]     values [B, L, Hkv, Dh]     keySeqIdx i32 [B, L]: the document of each slot, −1 while
 *   the slot is empty, so attention (which only lets a query see keys of its own document) never reads an empty
 *   slot or another row's padding.
 *
 * The slot a step writes is chosen on the device: `slotMask` is a u8 [1, L] tensor with a single 1 at that slot,
 * computed once per step by the caller (the same for every layer and row: left-padded rows share one timeline).
 * Attention then runs over all L slots with the query last (causal never hides a filled slot); the document ids
 * do the masking.
 */
import { overwrite, reshape, type Tensor, type Variable, where } from '@falcon-h1/core-tensor';
import type { AttentionCache, CachedKeysValues } from './attention-cache.js';

export class StaticKVCache implements AttentionCache {
  constructor(
    readonly keys: Variable,
    readonly values: Variable,
    readonly keySeqIdx: Variable,
    private readonly slotMask: () => Tensor,
  ) {
    const [b, l] = keys.shape as [number, number];
    if (keys.rank !== 4 || values.rank !== 4 || values.shape[0] !== b || values.shape[1] !== l) {
      throw new Error(
        `StaticKVCache: keys and values must be [B, L, H, D] with the same B, L; got [${keys.shape.join(', ')}] and [${values.shape.join(', ')}]`,
      );
    }
    if (keySeqIdx.dtype !== 'i32' || keySeqIdx.shape.join(',') !== `${b},${l}`) {
      throw new Error(`StaticKVCache: keySeqIdx must be i32 [${b}, ${l}], got [${keySeqIdx.shape.join(', ')}]`);
    }
  }

  /** Capacity L (filled slots and empty ones). */
  get length(): number {
    return this.keys.shape[1]!;
  }

  /** Writes one step's keys [B, 1, Hkv, Dh], values and document ids [B, 1] into the masked slot. */
  append(keys: Tensor, values: Tensor, seqIdx?: Tensor): CachedKeysValues {
    if (keys.shape[1] !== 1 || values.shape[1] !== 1) {
      throw new Error(`StaticKVCache: one position per step, got ${keys.shape[1]} keys`);
    }
    if (!seqIdx) throw new Error('StaticKVCache: document ids are required (empty slots are masked by them)');
    const mask = this.slotMask();
    const l = this.length;
    const slot4 = reshape(mask, [1, l, 1, 1]);
    overwrite(this.keys, where(slot4, keys, this.keys));
    overwrite(this.values, where(slot4, values, this.values));
    overwrite(this.keySeqIdx, where(mask, seqIdx, this.keySeqIdx));
    return { keys: this.keys, values: this.values, keySeqIdx: this.keySeqIdx };
  }
}

/**
 * The KV cache of one attention layer: keys (after the key multiplier and RoPE) and values of every position seen,
 * and, for packed or left-padded batches, the document id of each cached key.
 *
 *   keys   [B, S, Hkv, Dh]     values [B, S, Hkv, Dh]     keySeqIdx i32 [B, S] (only when documents are tracked)
 *
 * Appending concatenates along S, a copy of the whole cache per decode step: simple and correct, O(S) per step;
 * a preallocated cache with a write offset is the optimisation to make when a backend needs it. The cache owns its
 * tensors: they are marked with `keep()` (they outlive the scope of the call that made them) and the previous ones
 * are disposed on every append.
 */
import { concat, dispose, keep, reshape, type Tensor } from '@falcon-h1/core-tensor';
import type { AttentionCache, CachedKeysValues } from './attention-cache.js';

export class KVCache implements AttentionCache {
  private keysTensor: Tensor | undefined;
  private valuesTensor: Tensor | undefined;
  private seqIdxTensor: Tensor | undefined;

  /** Cached positions per row (S). */
  get length(): number {
    return this.keysTensor?.shape[1] ?? 0;
  }

  get keys(): Tensor | undefined {
    return this.keysTensor;
  }

  get values(): Tensor | undefined {
    return this.valuesTensor;
  }

  /** Document ids of the cached keys, when the cache tracks documents. */
  get keySeqIdx(): Tensor | undefined {
    return this.seqIdxTensor;
  }

  /**
   * Appends the keys and values of new positions (with their document ids, which every call must give or none may)
   * and returns the whole cache, ready for attention.
   */
  append(keys: Tensor, values: Tensor, seqIdx?: Tensor): CachedKeysValues {
    if (this.keysTensor && (this.seqIdxTensor === undefined) !== (seqIdx === undefined)) {
      throw new Error(
        this.seqIdxTensor
          ? 'KVCache: this cache tracks document ids: give seqIdx for the new positions too'
          : 'KVCache: document ids given, but the cached positions have none',
      );
    }
    // The first append keeps views of its inputs, never the inputs themselves: the caller may hand the same
    // tensor (the document ids) to the caches of every layer, and each cache disposes what it keeps.
    const own = (t: Tensor): Tensor => reshape(t, t.shape);
    const nextKeys = this.keysTensor ? concat([this.keysTensor, keys], 1) : own(keys);
    const nextValues = this.valuesTensor ? concat([this.valuesTensor, values], 1) : own(values);
    const nextSeqIdx = seqIdx && (this.seqIdxTensor ? concat([this.seqIdxTensor, seqIdx], 1) : own(seqIdx));
    this.replace(nextKeys, nextValues, nextSeqIdx);
    return { keys: nextKeys, values: nextValues, keySeqIdx: nextSeqIdx };
  }

  private replace(keys: Tensor, values: Tensor, seqIdx: Tensor | undefined): void {
    const old = [this.keysTensor, this.valuesTensor, this.seqIdxTensor].filter(
      (t): t is Tensor => t !== undefined && t !== keys && t !== values && t !== seqIdx,
    );
    this.keysTensor = keep(keys);
    this.valuesTensor = keep(values);
    this.seqIdxTensor = seqIdx ? keep(seqIdx) : undefined;
    dispose(old);
  }

  /** Frees the cached tensors; the cache is empty afterwards. */
  dispose(): void {
    dispose([this.keysTensor, this.valuesTensor, this.seqIdxTensor].filter((t) => t !== undefined));
    this.keysTensor = undefined;
    this.valuesTensor = undefined;
    this.seqIdxTensor = undefined;
  }
}

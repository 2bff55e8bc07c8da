/**
 * A KV cache of fixed capacity L, for decode steps captured into a graph (core's `captureGraph`). The
 * concatenating `KVCache` changes shape every step, which a recorded graph cannot follow; this one keeps the same
 * three buffers for the whole generation and writes each step's keys and values into them in place.
 *
 *   keys   [B, L, Hkv, Dh]     values [B, L, Hkv, Dh]     keySeqIdx i32 [B, L]: the document of each slot, −1 while
 *   the slot is empty, so attention (which only lets a query see keys of its own document) never reads an empty
 *   slot or another row's padding.
 *
 * The slot a step writes is chosen on the device: `slot` gives an i32 [1] tensor (the same slot for every layer and
 * row: left-padded rows share one timeline) or [B] (a slot per row), and core's `cacheWrite` copies the step's rows
 * into it in place — one small kernel per buffer where the backend has `CacheWrite`, a Where over all L slots
 * otherwise. Attention then runs over all L slots with the query last (causal never hides a filled slot); the
 * document ids do the masking. Every layer's document ids are the same, so an owner may share one `keySeqIdx`
 * between the layers and write it once per step itself (`writesKeySeqIdx: false`).
 *
 * `attendStep` is the fused form of a step (the attention module's one-token path with decode constants): one
 * `AttentionDecodeStep` ropes the packed projection's q and k (its columns of a wider row, at `offset`), writes k
 * and v into the slot and attends over all L slots, returning [prefix | heads] when given a prefix (what the
 * caller's next projection reads, without a Concat) — one kernel where the backend has it, the same ops as
 * `append` + attention (+ a Concat) where it has not. `beginStep` is the cache's side of that step (slot, document
 * ids, the kernel's cache inputs) for a caller whose own fused kernel runs the attention step with another one.
 */
import {
  type AttentionDecodeStepInputs,
  type AttentionDecodeStepOptions,
  attentionDecodeStep,
  cacheWrite,
  reshape,
  type Tensor,
  type Variable,
} from '@falcon-h1/core-tensor';
import type { AttentionCache, CachedKeysValues } from './attention-cache.js';

/** What one fused step over a static cache reads of it (`beginStep`): AttentionDecodeStep's inputs but qkv, prefix. */
export type StaticStepInputs = Omit<AttentionDecodeStepInputs, 'qkv' | 'prefix'>;

export interface StaticKVCacheOptions {
  /** Write each step's document ids into `keySeqIdx` (default true); false when the owner writes a shared one. */
  writesKeySeqIdx?: boolean;
}

export class StaticKVCache implements AttentionCache {
  private readonly writesKeySeqIdx: boolean;

  constructor(
    readonly keys: Variable,
    readonly values: Variable,
    readonly keySeqIdx: Variable,
    private readonly slot: () => Tensor,
    options: StaticKVCacheOptions = {},
  ) {
    this.writesKeySeqIdx = options.writesKeySeqIdx ?? true;
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

  /** Writes one step's keys [B, 1, Hkv, Dh], values and document ids [B, 1] into the step's slot, in place. */
  append(keys: Tensor, values: Tensor, seqIdx?: Tensor): CachedKeysValues {
    if (keys.shape[1] !== 1 || values.shape[1] !== 1) {
      throw new Error(`StaticKVCache: one position per step, got ${keys.shape[1]} keys`);
    }
    if (!seqIdx) throw new Error('StaticKVCache: document ids are required (empty slots are masked by them)');
    const slot = this.slot();
    cacheWrite(this.keys, keys, slot);
    cacheWrite(this.values, values, slot);
    if (this.writesKeySeqIdx) cacheWrite(this.keySeqIdx, seqIdx, slot);
    return { keys: this.keys, values: this.values, keySeqIdx: this.keySeqIdx };
  }

  /**
   * One step in one fused kernel: qkv [B, W] holding the new token's packed q | k | v heads (k with the multiplier
   * the caller folds) at columns [offset, offset + (Hq + 2·Hkv)·Dh) (`options.offset`, default 0), positions and
   * document ids [B, 1] → the attention output [B, Hq·Dh], or [B, C + Hq·Dh] = [prefix | output] with a prefix
   * [B, C]; the roped key and the value are written into the step's slot in place (and the document ids, if this
   * cache owns them).
   */
  attendStep(
    qkv: Tensor,
    positions: Tensor,
    seqIdx: Tensor | undefined,
    options: AttentionDecodeStepOptions,
    prefix?: Tensor,
  ): Tensor {
    return attentionDecodeStep({ ...this.beginStep(positions, seqIdx), qkv, prefix }, options);
  }

  /**
   * The cache's side of one fused step, for a caller that runs the step's kernel itself (`attendStep`, or a kernel
   * that also runs another step, core's `parallelMixersDecodeStep`): checks positions and document ids [B, 1], picks
   * the step's slot, writes the document ids into it if this cache owns them, and returns the kernel's inputs but
   * the projection (and the prefix) — the kernel then writes the key and the value. Once per step, right before
   * the kernel.
   */
  beginStep(positions: Tensor, seqIdx: Tensor | undefined): StaticStepInputs {
    if (!seqIdx) throw new Error('StaticKVCache: document ids are required (empty slots are masked by them)');
    const b = this.keys.shape[0]!;
    if (positions.shape.join(',') !== `${b},1` || seqIdx.shape.join(',') !== `${b},1`) {
      throw new Error(
        `StaticKVCache: one position per step: positions [${positions.shape.join(', ')}] and document ids [${seqIdx.shape.join(', ')}] must be [${b}, 1]`,
      );
    }
    const slot = this.slot();
    if (this.writesKeySeqIdx) cacheWrite(this.keySeqIdx, seqIdx, slot);
    return {
      positions: reshape(positions, [b]),
      keys: this.keys,
      values: this.values,
      slots: slot,
      qSeqIdx: reshape(seqIdx, [b]),
      kSeqIdx: this.keySeqIdx,
    };
  }
}

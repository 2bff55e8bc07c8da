/**
 * One decode step of attention over a static KV cache (fused kernel `AttentionDecodeStep`): RoPE of the new query
 * and key, their key and value written into the cache in place, and the query's attention over every slot — one
 * kernel where the backend has it, instead of two ropes, two cache writes and an attention (plus the slices of the
 * packed projection). Inference only: no gradient, like `cacheWrite`.
 */
import { composeAttentionDecodeStep } from '../../compositions/attention-decode-step.js';
import { runFusedInPlace } from '../../fused-dispatch.js';
import type { Tensor, Variable } from '../../tensor.js';
import { checkAttentionDecodeStep } from './attention-decode-step-checks.js';
import { checkOneBackend } from './in-place-checks.js';

export interface AttentionDecodeStepOptions {
  /** Query heads Hq. */
  heads: number;
  /** KV heads Hkv (divides Hq). */
  kvHeads: number;
  /** RoPE base. */
  theta: number;
  /** The logits' scale (defaults to 1/√Dh); any multiplier of the keys folded into it by the caller. */
  scale?: number;
  /** The first of the step's (Hq + 2·Hkv)·Dh columns in each row of qkv (default 0). */
  offset?: number;
}

export interface AttentionDecodeStepInputs {
  /**
   * [B, W], W ≥ offset + (Hq + 2·Hkv)·Dh: the new token's q, k and v heads of each row, in that order, from column
   * `offset` (a wider projection's other columns are not read).
   */
  qkv: Tensor;
  /** i32 [B]: the new token's RoPE position in each row. */
  positions: Tensor;
  /** [B, L, Hkv, Dh]: the static cache's keys (after RoPE), written in place. */
  keys: Variable;
  /** [B, L, Hkv, Dh]: its values, written in place. */
  values: Variable;
  /** i32 [B] or [1]: the slot this step writes (a row whose slot is outside [0, L) writes nothing). */
  slots: Tensor;
  /** i32 [B]: the new token's document. */
  qSeqIdx: Tensor;
  /** i32 [B, L]: every slot's document (−1: empty), this step's already written. */
  kSeqIdx: Tensor;
  /** [B, C] in qkv's dtype: columns put in front of the output (e.g. the gated SSM output a merged out-projection reads). */
  prefix?: Tensor;
}

/**
 * Writes the step's key and value into the cache and returns [prefix | o]: the attention output o [B, Hq·Dh]
 * after the prefix's C columns ([B, C + Hq·Dh]; o alone without a prefix).
 */
export function attentionDecodeStep(inputs: AttentionDecodeStepInputs, options: AttentionDecodeStepOptions): Tensor {
  const where = 'attentionDecodeStep';
  const attrs = checkAttentionDecodeStep(where, inputs, options);
  checkOneBackend(where, Object.values(inputs) as Array<Tensor | undefined>);
  return runFusedInPlace('AttentionDecodeStep', { ...inputs }, attrs, () => composeAttentionDecodeStep(inputs, attrs));
}

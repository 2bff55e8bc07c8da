/**
 * One decode step of attention over a static KV cache (fused kernel `AttentionDecodeStep`): RoPE of the new query
 * and key, their key and value written into the cache in place, and the query's attention over every slot — one
 * kernel where the backend has it, instead of two ropes, two cache writes and an attention (plus the slices of the
 * packed projection). Inference only: no gradient, like `cacheWrite`.
 */
import { composeAttentionDecodeStep } from '../../compositions/attention-decode-step.js';
import { isFloatDType } from '../../dtype.js';
import { runFusedInPlace } from '../../fused-dispatch.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor, Variable } from '../../tensor.js';

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
  const { qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix } = inputs;
  const { heads, kvHeads, theta, offset = 0 } = options;
  const where = 'attentionDecodeStep';
  if (!Number.isInteger(offset) || offset < 0) {
    throw new Error(`${where}: offset must be a non-negative integer, got ${offset}`);
  }
  if (!Number.isInteger(heads) || !Number.isInteger(kvHeads) || kvHeads <= 0 || heads % kvHeads !== 0) {
    throw new Error(`${where}: ${heads} query heads cannot share ${kvHeads} KV heads`);
  }
  if (keys.rank !== 4 || keys.shape[2] !== kvHeads || keys.shape[3]! % 2 !== 0) {
    throw new Error(`${where}: keys must be [B, L, ${kvHeads}, Dh] with even Dh, got ${formatShape(keys.shape)}`);
  }
  const [b, l, , dh] = keys.shape as [number, number, number, number];
  if (formatShape(values.shape) !== formatShape(keys.shape)) {
    throw new Error(`${where}: values ${formatShape(values.shape)} must match keys ${formatShape(keys.shape)}`);
  }
  const width = (heads + 2 * kvHeads) * dh;
  if (!isFloatDType(qkv.dtype) || qkv.rank !== 2 || qkv.shape[0] !== b || qkv.shape[1]! < offset + width) {
    throw new Error(
      `${where}: qkv must be a float [${b}, W] with W ≥ offset + (${heads} + 2·${kvHeads}) heads of ${dh} = ${offset} + ${width}, got ${qkv.dtype}${formatShape(qkv.shape)}`,
    );
  }
  if (keys.dtype !== qkv.dtype || values.dtype !== qkv.dtype) {
    throw new Error(`${where}: qkv is ${qkv.dtype}, keys ${keys.dtype}, values ${values.dtype}: one dtype`);
  }
  const ints: Array<[string, Tensor, number[]]> = [
    ['positions', positions, [b]],
    ['qSeqIdx', qSeqIdx, [b]],
    ['kSeqIdx', kSeqIdx, [b, l]],
  ];
  for (const [name, t, shape] of ints) {
    if (t.dtype !== 'i32' || formatShape(t.shape) !== formatShape(shape)) {
      throw new Error(`${where}: ${name} must be i32${formatShape(shape)}, got ${t.dtype}${formatShape(t.shape)}`);
    }
  }
  if (slots.dtype !== 'i32' || slots.rank !== 1 || (slots.shape[0] !== b && slots.shape[0] !== 1)) {
    throw new Error(`${where}: slots must be i32 [${b}] or [1], got ${slots.dtype}${formatShape(slots.shape)}`);
  }
  if (prefix && (prefix.dtype !== qkv.dtype || prefix.rank !== 2 || prefix.shape[0] !== b || prefix.shape[1]! < 1)) {
    throw new Error(
      `${where}: prefix must be ${qkv.dtype} [${b}, C] with C ≥ 1 (qkv's dtype and rows), got ${prefix.dtype}${formatShape(prefix.shape)}`,
    );
  }
  if (!(theta > 0)) throw new Error(`${where}: theta must be > 0, got ${theta}`);
  const backend = qkv.backend;
  if (
    [positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix].some((t) => t !== undefined && t.backend !== backend)
  ) {
    throw new Error(`${where}: every input must live on one backend`);
  }
  const attrs = { heads, kvHeads, theta, scale: options.scale ?? 1 / Math.sqrt(dh), offset };
  return runFusedInPlace('AttentionDecodeStep', { ...inputs }, attrs, () => composeAttentionDecodeStep(inputs, attrs));
}

/**
 * What a one-token attention step over a static KV cache derives from the module's parameters, made once per
 * generation: q_proj, k_proj and v_proj packed into one projection, so the step is ONE MatMul and ONE fused
 * `AttentionDecodeStep` (RoPE, the cache write and the attention) instead of three MatMuls, two RoPEs, two cache
 * writes and an attention. Decoding is launch-bound: each kernel shed is time saved once per layer and token.
 *
 *   qkv.weight  [(Hq + 2·Hkv)·Dh, D]  rows of q_proj, then k_proj, then v_proj
 *   qkv.bias    their biases packed the same way (when the projections have them)
 *   scale       the attention kernel's scale
 *
 * The multipliers are folded as `FalconH1Attention.attend` folds them, so the cache holds exactly what its other
 * calls (the prefill) wrote: without biases the weights are copied as they are (key_multiplier and
 * attention_in_multiplier² are in `scale`); with biases, attend applies them as written, and here they go into the
 * weights: q = (m·Wq)·x + bq, k = (km·m·Wk)·x + km·bk, v = (m·Wv)·x + bv (each product rounded once to the
 * parameters' dtype). Inference only: copies, stale once the parameters change; the owner disposes them.
 *
 * `packedQkvProjection` gives the packed projection alone, for a caller that stacks it under another projection of
 * the same input (the decoder layer: the mixer's in_proj rows, then these) and hands the attention step the wider
 * row at a column offset (`FalconH1Attention.attendProjectedStep`).
 */
import { concat, dispose, scale as scaleBy, type Tensor, tidy } from '@falcon-h1/core-tensor';
import type { FalconH1Attention } from './falcon-h1-attention.js';

export interface AttentionDecodeConstants {
  /** The packed projection of the new token: [q | k | v] heads. */
  readonly qkv: { readonly weight: Tensor; readonly bias?: Tensor };
  /** The attention kernel's scale (1/√Dh with the folded multipliers). */
  readonly scale: number;
}

/** The constants of `attention` when it attends over `inputMultiplier · x` (attention_in_multiplier). */
export function attentionDecodeConstants(attention: FalconH1Attention, inputMultiplier = 1): AttentionDecodeConstants {
  return { qkv: packedQkvProjection(attention, inputMultiplier), scale: attention.attentionScale(inputMultiplier) };
}

/**
 * q_proj | k_proj | v_proj packed into one projection with the multipliers folded as above, in the parameters'
 * dtype: x → the packed [q | k | v] heads (the constants' `qkv`). Fresh tensors.
 */
export function packedQkvProjection(
  attention: FalconH1Attention,
  inputMultiplier = 1,
): { weight: Tensor; bias?: Tensor } {
  const folded = attention.foldsMultipliers;
  const keyMultiplier = attention.config.key_multiplier;
  const { q_proj, k_proj, v_proj } = attention;
  // Fresh tensors (never the parameters themselves, even where nothing is scaled): disposed on their own.
  const times = (t: Tensor, multiplier: number): Tensor => scaleBy(t, multiplier);
  return tidy(() => {
    const weights = folded
      ? [q_proj.weight, k_proj.weight, v_proj.weight]
      : [
          times(q_proj.weight, inputMultiplier),
          times(k_proj.weight, inputMultiplier * keyMultiplier),
          times(v_proj.weight, inputMultiplier),
        ];
    const biases = [q_proj.bias, k_proj.bias, v_proj.bias];
    const bias = biases.every((b) => b !== undefined)
      ? concat([biases[0]!, times(biases[1]!, keyMultiplier), biases[2]!], 0)
      : undefined;
    return { weight: concat(weights, 0), bias };
  });
}

export function disposeAttentionDecodeConstants(constants: AttentionDecodeConstants | undefined): void {
  if (constants) dispose([constants.qkv.weight, ...(constants.qkv.bias ? [constants.qkv.bias] : [])]);
}

/**
 * What a decoder layer's one-token step derives from its parameters, made once per generation (decoding one token
 * is launch-bound: every kernel a step sheds is time saved, ~36 times per token for the 0.5B):
 *
 *   mixer        the Mamba2 mixer's constants (@falcon-h1/mamba2's mixer-decode-constants.ts: in_proj with the μP
 *                multipliers and ssm_in_multiplier folded in, read packed by the fused SsmDecodeStep; f32
 *                dt_bias/A/D/norm)
 *   branchesOut  SA_M and SAM: [ssm_out_multiplier·out_proj | s·o_proj]  [D, d_ssm + Hq·Dh], s = attention's output
 *                scale (attention_out_multiplier, times attention_in_multiplier where attention folds it). Both
 *                branches read the same normed input, and the layer adds their outputs, so
 *                  S(n) + A(n) = [W_out·m_ssm | W_o·s] · [gated SSM output ; attention heads]
 *                — one Concat and one MatMul replace two MatMuls, two Scales and an Add.
 *                S_A_M (sequential branches): absent; the mixer's constants fold ssm_out into out_proj instead.
 *   mlpGateUp    [gate_proj; up_proj] stacked into one [2I, D] projection in the activations' dtype (and their
 *                biases, a missing one as zeros): the MLP's two input projections as one MatMul, whose packed
 *                [gate | up] output the fused SwiGluPacked reads
 *   mlpDown      down_proj · mlp_multipliers[1] (no Scale after the down projection)
 *   attention    with `staticCache` (the static decoder's steps): q_proj | k_proj | v_proj packed into one projection
 *                (@falcon-h1/attention's attention-decode-constants.ts), so the attention step over the static KV
 *                cache is one MatMul and one fused AttentionDecodeStep
 *
 * Inference only: copies of parameter-derived values, stale once the parameters change; the owner disposes them
 * (`disposeLayerDecodeConstants`). Memory per layer: a copy of in_proj, of out_proj + o_proj, of gate_proj + up_proj
 * and of down_proj. Results equal the unfolded step up to rounding (each multiplier is applied to a weight, rounded
 * once to its dtype, instead of to an activation; the packed gate|up projection changes no value).
 */

import {
  type AttentionDecodeConstants,
  attentionDecodeConstants,
  disposeAttentionDecodeConstants,
} from '@falcon-h1/attention';
import { add, cast, concat, type DType, dispose, keep, type Tensor, tidy, zeros } from '@falcon-h1/core-tensor';
import {
  type DecodeProjection,
  disposeMixerDecodeConstants,
  type MixerDecodeConstants,
  mixerDecodeConstants,
  projectionTensors,
  scaledProjection,
  ssmComputeDType,
} from '@falcon-h1/mamba2';
import type { FalconH1DecoderLayer } from './falcon-h1-decoder-layer.js';

export interface LayerDecodeConstants {
  readonly mixer: MixerDecodeConstants;
  /** The merged output projection of the parallel SSM and attention branches (SA_M, SAM). */
  readonly branchesOut?: DecodeProjection;
  /** [gate_proj; up_proj] as one [2I, D] projection (its output [..., 2I]: gate then up, read by SwiGluPacked). */
  readonly mlpGateUp: DecodeProjection;
  readonly mlpDown: DecodeProjection;
  /** The packed q | k | v projection of one-token steps over a static KV cache (made with `staticCache`). */
  readonly attention?: AttentionDecodeConstants;
}

export interface LayerDecodeConstantsOptions {
  /** Steps will run over a StaticKVCache: make the packed attention projection too (only that path reads it). */
  staticCache?: boolean;
}

/** The decode constants of `layer` for activations of `dtype` (kept: the caller disposes them). */
export function layerDecodeConstants(
  layer: FalconH1DecoderLayer,
  dtype: DType,
  options: LayerDecodeConstantsOptions = {},
): LayerDecodeConstants {
  const merged = layer.layout !== 'S_A_M';
  const mixer = mixerDecodeConstants(layer.mamba, dtype, layer.ssm_out_multiplier, { projectOutput: !merged });
  const keepAll = (p: DecodeProjection): DecodeProjection => ({ weight: keep(p.weight), bias: p.bias && keep(p.bias) });
  return tidy(() => ({
    mixer,
    branchesOut: merged ? keepAll(mergedBranchesOut(layer)) : undefined,
    mlpGateUp: keepAll(packedGateUp(layer, dtype)),
    mlpDown: keepAll(scaledProjection(layer.feed_forward.down_proj, layer.feed_forward.down_multiplier)),
    attention: options.staticCache ? keptAttentionConstants(layer) : undefined,
  }));
}

/** [m_ssm·W_out | s·W_o] and, where either has a bias, m_ssm·b_out + s·b_o (summed in ≥ f32, rounded once). */
function mergedBranchesOut(layer: FalconH1DecoderLayer): DecodeProjection {
  const ssm = scaledProjection(layer.mamba.out_proj, layer.ssm_out_multiplier);
  const attentionScale = layer.self_attn.outputScale({
    inputMultiplier: layer.attention_in_multiplier,
    outputMultiplier: layer.attn_out_multiplier,
  });
  const attn = scaledProjection(layer.self_attn.o_proj, attentionScale);
  const weight = concat([ssm.weight, attn.weight], 1);
  const biases = [ssm.bias, attn.bias].filter((b): b is Tensor => b !== undefined);
  if (biases.length === 0) return { weight };
  const dtype = weight.dtype;
  const wide = biases.map((b) => cast(b, ssmComputeDType(dtype)));
  return { weight, bias: cast(wide.length === 1 ? wide[0]! : add(wide[0]!, wide[1]!), dtype) };
}

/** [W_gate; W_up] and, where either has a bias, [b_gate; b_up] (a missing one as zeros), in `dtype`. */
function packedGateUp(layer: FalconH1DecoderLayer, dtype: DType): DecodeProjection {
  const { gate_proj: gate, up_proj: up } = layer.feed_forward;
  const weight = cast(concat([gate.weight, up.weight], 0), dtype);
  if (!gate.bias && !up.bias) return { weight };
  const bias = (p: typeof gate): Tensor => p.bias ?? zeros([p.weight.shape[0]!], p.weight.dtype, p.weight.backend);
  return { weight, bias: cast(concat([bias(gate), bias(up)], 0), dtype) };
}

function keptAttentionConstants(layer: FalconH1DecoderLayer): AttentionDecodeConstants {
  const { qkv, scale } = attentionDecodeConstants(layer.self_attn, layer.attention_in_multiplier);
  return { qkv: { weight: keep(qkv.weight), bias: qkv.bias && keep(qkv.bias) }, scale };
}

export function disposeLayerDecodeConstants(constants: LayerDecodeConstants): void {
  disposeAttentionDecodeConstants(constants.attention);
  disposeMixerDecodeConstants(constants.mixer);
  dispose([
    ...projectionTensors(constants.branchesOut),
    ...projectionTensors(constants.mlpGateUp),
    ...projectionTensors(constants.mlpDown),
  ]);
}

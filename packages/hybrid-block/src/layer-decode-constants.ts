/**
 * What a decoder layer's one-token step derives from its parameters, made once per generation (decoding one token
 * is launch-bound: every kernel a step sheds is time saved, ~36 times per token for the 0.5B):
 *
 *   mixer        the Mamba2 mixer's constants (@falcon-h1/mamba2's mixer-decode-constants.ts: in_proj with the μP
 *                multipliers and ssm_in_multiplier folded in, read packed by the fused SsmDecodeStep — unless
 *                `branchesIn` holds it; f32 dt_bias/A/D/norm)
 *   branchesOut  SA_M and SAM: [ssm_out_multiplier·out_proj | s·o_proj]  [D, d_ssm + Hq·Dh], s = attention's output
 *                scale (attention_out_multiplier, times attention_in_multiplier where attention folds it). Both
 *                branches read the same normed input, and the layer adds their outputs, so
 *                  S(n) + A(n) = [W_out·m_ssm | W_o·s] · [gated SSM output ; attention heads]
 *                — one Concat and one MatMul replace two MatMuls, two Scales and an Add (with `branchesIn`, no
 *                Concat either: the attention step writes the gated SSM output in front of its heads).
 *                S_A_M (sequential branches): absent; the mixer's constants fold ssm_out into out_proj instead.
 *   mlpGateUp    [gate_proj; up_proj] stacked into one [2I, D] projection in the activations' dtype (and their
 *                biases, a missing one as zeros): the MLP's two input projections as one MatMul, whose packed
 *                [gate | up] output the fused SwiGluPacked reads
 *   mlpDown      down_proj · mlp_multipliers[1] (no Scale after the down projection)
 *   attention    with `staticCache` (the static decoder's steps): q_proj | k_proj | v_proj packed into one projection
 *                (@falcon-h1/attention's attention-decode-constants.ts), so the attention step over the static KV
 *                cache is one MatMul and one fused AttentionDecodeStep
 *   branchesIn   with `staticCache`, SA_M and SAM: [mixer's in_proj ; q|k|v] — the mixer's pre-scaled in_proj rows
 *                (`scaledInProj`), then the packed q|k|v rows, as ONE projection [2·d_ssm + 2GN + H + (Hq + 2·Hkv)·Dh,
 *                D] (biases stacked the same way, a missing one as zeros; none when neither has one). Both branches
 *                read the same normed input n, so one MatMul gives both their inputs: SsmDecodeStepInPlace reads the
 *                row's first columns, AttentionDecodeStep its q|k|v at offset 2·d_ssm + 2GN + H. It REPLACES the
 *                mixer's `inProj` and `attention` (both absent then: no second copy of either). Made only when
 *                q|k|v is in the activations' dtype as in_proj's copy is (one MatMul has one dtype); a layer whose
 *                attention weights are in another dtype keeps the separate constants.
 *   parallelMixers  with `branchesIn` (unless made with `parallelMixers: false`): the step runs the SSM and the
 *                attention steps as one ParallelMixersDecodeStep where it can (FalconH1DecoderLayer.decodeStep) — a
 *                setting, not a tensor
 *
 * Inference only: copies of parameter-derived values, stale once the parameters change; the owner disposes them
 * (`disposeLayerDecodeConstants`). Memory per layer: a copy of in_proj (with `staticCache`: of q_proj, k_proj and
 * v_proj too — merged or not, one copy each), of out_proj + o_proj, of gate_proj + up_proj and of down_proj. Results
 * equal the unfolded step up to rounding (each multiplier is applied to a weight, rounded once to its dtype, instead
 * of to an activation; the packed gate|up and in_proj|q|k|v projections change no value).
 */

import {
  type AttentionDecodeConstants,
  attentionDecodeConstants,
  disposeAttentionDecodeConstants,
  packedQkvProjection,
} from '@falcon-h1/attention';
import { add, cast, concat, type DType, dispose, keep, type Tensor, tidy, zeros } from '@falcon-h1/core-tensor';
import {
  type DecodeProjection,
  disposeMixerDecodeConstants,
  type MixerDecodeConstants,
  mixerDecodeConstants,
  projectionTensors,
  scaledInProj,
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
  /**
   * The packed q | k | v projection of one-token steps over a static KV cache (made with `staticCache`, unless
   * `branchesIn` holds it).
   */
  readonly attention?: AttentionDecodeConstants;
  /**
   * SA_M and SAM with `staticCache`: [scaled in_proj ; q|k|v] as one projection of the normed input (the mixer's
   * constants then have no `inProj`, and `attention` is absent).
   */
  readonly branchesIn?: DecodeProjection;
  /**
   * With `branchesIn`: run the SSM step and the attention step as one ParallelMixersDecodeStep where the step
   * allows (a state updated in place, the plain y·silu(z) gate); see LayerDecodeConstantsOptions.parallelMixers.
   */
  readonly parallelMixers?: boolean;
}

export interface LayerDecodeConstantsOptions {
  /** Steps will run over a StaticKVCache: make the packed attention projection too (only that path reads it). */
  staticCache?: boolean;
  /**
   * With `staticCache`, SA_M and SAM: the two mixers' steps as ONE kernel, ParallelMixersDecodeStep (default
   * true), where the step allows it (the static decoder's in-place Mamba2 state, the plain y·silu(z) gate; the
   * gated RMSNorm keeps them apart). false keeps two kernels, SsmDecodeStepInPlace then AttentionDecodeStep, with
   * the same values — to measure what the fusion gains on a backend (StaticDecoderOptions.parallelMixers).
   */
  parallelMixers?: boolean;
}

/** The decode constants of `layer` for activations of `dtype` (kept: the caller disposes them). */
export function layerDecodeConstants(
  layer: FalconH1DecoderLayer,
  dtype: DType,
  options: LayerDecodeConstantsOptions = {},
): LayerDecodeConstants {
  const merged = layer.layout !== 'S_A_M';
  const mergesInput = merged && options.staticCache === true && attentionIn(layer, dtype);
  const mixer = mixerDecodeConstants(layer.mamba, dtype, layer.ssm_out_multiplier, {
    projectOutput: !merged,
    projectInput: !mergesInput,
  });
  const keepAll = (p: DecodeProjection): DecodeProjection => ({ weight: keep(p.weight), bias: p.bias && keep(p.bias) });
  return tidy(() => ({
    mixer,
    branchesOut: merged ? keepAll(mergedBranchesOut(layer)) : undefined,
    mlpGateUp: keepAll(packedGateUp(layer, dtype)),
    mlpDown: keepAll(scaledProjection(layer.feed_forward.down_proj, layer.feed_forward.down_multiplier)),
    attention: options.staticCache && !mergesInput ? keptAttentionConstants(layer) : undefined,
    branchesIn: mergesInput ? keepAll(mergedBranchesIn(layer, dtype)) : undefined,
    parallelMixers: mergesInput && options.parallelMixers !== false,
  }));
}

/** Whether attention's q, k and v weights (and biases) are in `dtype`, as the packed q|k|v then is. */
function attentionIn(layer: FalconH1DecoderLayer, dtype: DType): boolean {
  const { q_proj, k_proj, v_proj } = layer.self_attn;
  return [q_proj, k_proj, v_proj].every((p) => p.weight.dtype === dtype && (p.bias?.dtype ?? dtype) === dtype);
}

/**
 * [scaled in_proj ; packed q|k|v] (rows) and, where either has a bias, [b_in ; b_qkv] (a missing one as zeros), in
 * `dtype`: the intermediate copies are freed by the caller's tidy, so only the stacked one remains.
 */
function mergedBranchesIn(layer: FalconH1DecoderLayer, dtype: DType): DecodeProjection {
  const inProj = scaledInProj(layer.mamba, dtype);
  const qkv = packedQkvProjection(layer.self_attn, layer.attention_in_multiplier);
  const weight = concat([inProj.weight, qkv.weight], 0);
  if (!inProj.bias && !qkv.bias) return { weight };
  const bias = (p: DecodeProjection): Tensor => p.bias ?? zeros([p.weight.shape[0]!], dtype, weight.backend);
  return { weight, bias: concat([bias(inProj), bias(qkv)], 0) };
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
    ...projectionTensors(constants.branchesIn),
    ...projectionTensors(constants.branchesOut),
    ...projectionTensors(constants.mlpGateUp),
    ...projectionTensors(constants.mlpDown),
  ]);
}

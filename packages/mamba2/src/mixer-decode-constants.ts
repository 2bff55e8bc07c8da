/**
 * What a decode step derives from the mixer's parameters and config, computed once per generation instead of every
 * step. Decoding one token is launch-bound (a 0.5B-shaped step is over a thousand tiny kernels), so every kernel a
 * step can shed matters: with these constants the mixer's step is one MatMul and one fused `SsmDecodeStep` (plus the
 * gated norm where the config has one) — no μP Mul, no slices of in_proj's output, no casts of dt_bias, D or the
 * norm weight, no −exp(A_log) and no output multiplier's Scale.
 *
 *   inProj      in_proj with each row times its segment's μP multiplier and ssm_in_multiplier (in_proj(c·u) =
 *               c·in_proj(u); a bias is multiplied too), in the activations' dtype — the dtype prefill projects in,
 *               as transformers does: one MatMul gives the packed [z | x B C | dt] already scaled, which
 *               SsmDecodeStep reads as it is. Absent with `projectInput: false`, when the caller projects u itself
 *               (Falcon-H1's decoder layer stacks these rows with attention's q|k|v into one projection:
 *               `scaledInProj` gives them) and hands the step the projected row (`FalconH1Mixer.stepProjected`).
 *   dtBias, D   f32 (f64 for f64 activations) copies, A = −exp(A_log) in the same dtype
 *   normWeight  the gated norm's weight in the scan dtype
 *   out         out_proj times the output multiplier (the decoder layer's ssm_out_multiplier); absent with
 *               `projectOutput: false`, when the caller multiplies the gated output by out_proj itself (Falcon-H1's
 *               decoder layer merges out_proj with attention's o_proj into one MatMul)
 *
 * Inference only: these are copies, stale once the parameters change. Whoever makes them owns them
 * (`disposeMixerDecodeConstants`). Memory: one copy of in_proj and of out_proj per layer (each unless left to the
 * caller), in the activations' dtype.
 * Results equal the step without constants up to rounding: the multipliers keep their f32 values and are applied
 * to the weights (rounded once to the weights' dtype) instead of to the projections.
 */
import {
  cast,
  type DType,
  dispose,
  exp,
  keep,
  mul,
  neg,
  reshape,
  scale,
  type Tensor,
  tensor,
  tidy,
} from '@falcon-h1/core-tensor';
import type { FalconH1Mixer } from './falcon-h1-mixer.js';
import { ssmComputeDType } from './mamba-state.js';
import { computeMupVector } from './mup-vector.js';

/** A weight [out, in] and its bias [out], as `linear` takes them. */
export interface DecodeProjection {
  readonly weight: Tensor;
  readonly bias?: Tensor;
}

export interface MixerDecodeConstants {
  /**
   * in_proj with every row scaled, in the activations' dtype: u → the packed [z | x B C | dt]; unless made with
   * `projectInput: false`.
   */
  readonly inProj?: DecodeProjection;
  readonly dtBias: Tensor;
  readonly A: Tensor;
  readonly D: Tensor;
  readonly normWeight?: Tensor;
  /** out_proj times `outputMultiplier`, unless made with `projectOutput: false`. */
  readonly out?: DecodeProjection;
  /** The multiplier folded into `out` (the caller's to apply where `out` is absent). */
  readonly outputMultiplier: number;
}

export interface MixerDecodeConstantsOptions {
  /** Fold out_proj (times the output multiplier) into the constants (default true). */
  projectOutput?: boolean;
  /** Keep the scaled in_proj in the constants (default true); false when the caller projects u itself. */
  projectInput?: boolean;
}

/** x in `dtype`, as a tensor of its own (never the parameter itself: the constants are disposed on their own). */
const own = (x: Tensor, dtype: DType): Tensor => (x.dtype === dtype ? reshape(x, x.shape) : cast(x, dtype));

/**
 * The constants for decoding activations of `dtype` with `mixer`; `step` multiplies its output by
 * `outputMultiplier` (the decoder layer's ssm_out_multiplier).
 */
export function mixerDecodeConstants(
  mixer: FalconH1Mixer,
  dtype: DType,
  outputMultiplier = 1,
  options: MixerDecodeConstantsOptions = {},
): MixerDecodeConstants {
  const scanDType = ssmComputeDType(dtype);
  // Kept: they outlive the scope of whoever asks for them, until disposeMixerDecodeConstants.
  return tidy(() => {
    const inProj = options.projectInput === false ? undefined : scaledInProj(mixer, dtype);
    const out = options.projectOutput === false ? undefined : scaledProjection(mixer.out_proj, outputMultiplier);
    return {
      inProj: inProj && { weight: keep(inProj.weight), bias: inProj.bias && keep(inProj.bias) },
      dtBias: keep(own(mixer.dt_bias, scanDType)),
      A: keep(neg(exp(cast(mixer.A_log, scanDType)))),
      D: keep(own(mixer.D, scanDType)),
      normWeight: mixer.norm && keep(own(mixer.norm.weight, scanDType)),
      out: out && { weight: keep(out.weight), bias: out.bias && keep(out.bias) },
      outputMultiplier,
    };
  });
}

/**
 * in_proj with each row times its segment's μP multiplier and ssm_in_multiplier (a bias times the μP multiplier),
 * in `dtype`: u → the packed, pre-scaled [z | x B C | dt] (the constants' `inProj`). Fresh tensors, not kept.
 */
export function scaledInProj(mixer: FalconH1Mixer, dtype: DType): DecodeProjection {
  const backend = mixer.in_proj.weight.backend;
  const scanDType = ssmComputeDType(dtype);
  // One multiplier per in_proj row (f32 values, as transformers stores them): m·in_proj(c·u) = (m·c·W)·u + m·bias.
  const mup = computeMupVector(mixer.config);
  const width = mup.length;
  const rowMultipliers = Float64Array.from(mup, (m) => m * mixer.config.ssm_in_multiplier);
  // The products in the scan dtype (f32, or f64), rounded once to the activations' dtype.
  const rowScale = tensor(rowMultipliers, [width, 1], scanDType, backend);
  const weight = mul(cast(mixer.in_proj.weight, scanDType), rowScale);
  const bias = mixer.in_proj.bias && mul(cast(mixer.in_proj.bias, scanDType), tensor(mup, [width], scanDType, backend));
  return { weight: cast(weight, dtype), bias: bias && cast(bias, dtype) };
}

/**
 * A projection's weight and bias times `multiplier`, in their own dtype (the product taken in ≥ f32 and rounded
 * once): linear(x, W·m, b·m) = m·linear(x, W, b), one Scale kernel less per call. Fresh tensors, not kept.
 */
export function scaledProjection(p: DecodeProjection, multiplier: number): DecodeProjection {
  const times = (x: Tensor): Tensor => cast(scale(cast(x, ssmComputeDType(x.dtype)), multiplier), x.dtype);
  return { weight: times(p.weight), bias: p.bias && times(p.bias) };
}

/** Every tensor of a projection (weight, and bias if any). */
export function projectionTensors(p: DecodeProjection | undefined): Tensor[] {
  return p ? [p.weight, ...(p.bias ? [p.bias] : [])] : [];
}

export function disposeMixerDecodeConstants(constants: MixerDecodeConstants): void {
  const { inProj, dtBias, A, D, normWeight, out } = constants;
  dispose([...projectionTensors(inProj), ...projectionTensors(out), dtBias, A, D, ...(normWeight ? [normWeight] : [])]);
}

/**
 * What a decode step derives from the mixer's parameters and config, computed once per generation instead of every
 * step. Decoding one token is launch-bound (a 0.5B-shaped step is over a thousand tiny kernels), so every kernel a
 * step can shed matters: these constants remove the μP Mul, the three slices of in_proj's output, the f32 casts of
 * dt_bias, D and the norm weight, −exp(A_log) and the output multiplier's Scale.
 *
 *   z, xBC, dt  in_proj's rows of each segment times its μP multiplier and ssm_in_multiplier (in_proj(c·u) =
 *               c·in_proj(u); a bias is multiplied too): three MatMuls give the three parts already scaled, where
 *               one MatMul, a Mul and three Slices did. z and dt are in the scan dtype (f32; f64 for f64): for
 *               16-bit activations the step casts its input once and both come out in f32 without a cast each.
 *               dt's bias (if in_proj has one) is added to dt_bias instead.
 *   dtBias, D   f32 (f64 for f64 activations) copies, A = −exp(A_log) in the same dtype
 *   normWeight  the gated norm's weight in the scan dtype
 *   out         out_proj times the output multiplier (the decoder layer's ssm_out_multiplier); absent with
 *               `projectOutput: false`, when the caller multiplies the gated output by out_proj itself (Falcon-H1's
 *               decoder layer merges out_proj with attention's o_proj into one MatMul)
 *
 * Inference only: these are copies, stale once the parameters change. Whoever makes them owns them
 * (`disposeMixerDecodeConstants`). Memory: one copy of in_proj (z and dt in f32) and of out_proj per layer.
 * Results equal the step without constants up to rounding: the multipliers keep their f32 values and are applied
 * to the weights (rounded once to the weights' dtype) instead of to the projections.
 */
import {
  add,
  cast,
  type DType,
  dispose,
  exp,
  keep,
  mul,
  neg,
  reshape,
  scale,
  sliceAxis,
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
  /** z's rows of in_proj, scaled, in the scan dtype. */
  readonly z: DecodeProjection;
  /** x, B and C's rows of in_proj, scaled, in the activations' dtype (the conv's). */
  readonly xBC: DecodeProjection;
  /** dt's rows of in_proj, scaled, in the scan dtype, without bias (it is in `dtBias`). */
  readonly dt: DecodeProjection;
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
  const backend = mixer.in_proj.weight.backend;
  const scanDType = ssmComputeDType(dtype);
  const { dSsm, convDim } = mixer.sizes;
  const heads = mixer.config.mamba_n_heads;
  // One multiplier per in_proj row (f32 values, as transformers stores them): m·in_proj(c·u) = (m·c·W)·u + m·bias.
  const mup = computeMupVector(mixer.config);
  const width = mup.length;
  const rowMultipliers = Float64Array.from(mup, (m) => m * mixer.config.ssm_in_multiplier);
  // Kept: they outlive the scope of whoever asks for them, until disposeMixerDecodeConstants.
  return tidy(() => {
    // The products in the scan dtype (f32, or f64): one rounding, to each part's own dtype below.
    const rowScale = tensor(rowMultipliers, [width, 1], scanDType, backend);
    const weight = mul(cast(mixer.in_proj.weight, scanDType), rowScale);
    const bias =
      mixer.in_proj.bias && mul(cast(mixer.in_proj.bias, scanDType), tensor(mup, [width], scanDType, backend));
    const rows = (begin: number, size: number, to: DType): DecodeProjection => ({
      weight: keep(cast(sliceAxis(weight, 0, begin, size), to)),
      bias: bias && keep(cast(sliceAxis(bias, 0, begin, size), to)),
    });
    const dtBias = own(mixer.dt_bias, scanDType);
    const out = options.projectOutput === false ? undefined : scaledProjection(mixer.out_proj, outputMultiplier);
    return {
      z: rows(0, dSsm, scanDType),
      xBC: rows(dSsm, convDim, dtype),
      dt: { weight: keep(cast(sliceAxis(weight, 0, dSsm + convDim, heads), scanDType)) },
      dtBias: keep(bias ? add(dtBias, sliceAxis(bias, 0, dSsm + convDim, heads)) : dtBias),
      A: keep(neg(exp(cast(mixer.A_log, scanDType)))),
      D: keep(own(mixer.D, scanDType)),
      normWeight: mixer.norm && keep(own(mixer.norm.weight, scanDType)),
      out: out && { weight: keep(out.weight), bias: out.bias && keep(out.bias) },
      outputMultiplier,
    };
  });
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
  const { z, xBC, dt, dtBias, A, D, normWeight, out } = constants;
  dispose([
    ...projectionTensors(z),
    ...projectionTensors(xBC),
    ...projectionTensors(dt),
    ...projectionTensors(out),
    dtBias,
    A,
    D,
    ...(normWeight ? [normWeight] : []),
  ]);
}

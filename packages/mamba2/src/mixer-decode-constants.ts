/**
 * What a decode step derives from the mixer's parameters and config, computed once per generation instead of every
 * step. Decoding one token is launch-bound (a 0.5B-shaped step is thousands of tiny kernels), and these cost a
 * kernel each per layer per token: six μP Scales on in_proj's input and output segments, the f32 casts of dt_bias,
 * D and the norm weight, −exp(A_log), the output multiplier.
 *
 *   mup         [W] in_proj's μP vector (`computeMupVector`), times ssm_in_multiplier when in_proj has no bias
 *               (in_proj(c·u) = c·in_proj(u)), in the scan dtype (f32; f64 for f64): one Mul replaces the Scales
 *   dtBias, D   f32 (f64 for f64 activations) copies, A = −exp(A_log) in the same dtype
 *   normWeight  the gated norm's weight in f32 times outputMultiplier when out_proj has no bias (the norm is linear
 *               in its weight and out_proj in its input, so the output multiplier rides along for free)
 *
 * Inference only: these are copies, stale once the parameters change. Whoever makes them owns them
 * (`disposeMixerDecodeConstants`). Results equal the step without constants up to rounding: the multipliers keep
 * their f32 values (never rounded to a 16-bit dtype); ssm_in_multiplier is applied with them instead of to the
 * input, and z and dt of 16-bit activations skip the 16-bit rounding the Scales gave them.
 */
import {
  cast,
  copy,
  type DType,
  dispose,
  exp,
  keep,
  neg,
  scale,
  type Tensor,
  tensor,
  tidy,
} from '@falcon-h1/core-tensor';
import type { FalconH1Mixer } from './falcon-h1-mixer.js';
import { ssmComputeDType } from './mamba-state.js';
import { computeMupVector } from './mup-vector.js';

export interface MixerDecodeConstants {
  readonly mup: Tensor;
  /** Whether `mup` includes ssm_in_multiplier (else the input is scaled first: in_proj has a bias). */
  readonly mupIncludesInput: boolean;
  readonly dtBias: Tensor;
  readonly A: Tensor;
  readonly D: Tensor;
  readonly normWeight?: Tensor;
  /** The multiplier `step` applies to its output (folded into normWeight where it can). */
  readonly outputMultiplier: number;
  readonly outputMultiplierInNorm: boolean;
}

/** x in `dtype`, as a tensor of its own (never the parameter itself: the constants are disposed on their own). */
const widen = (x: Tensor, dtype: DType): Tensor => (x.dtype === dtype ? copy(x) : cast(x, dtype));

/**
 * The constants for decoding activations of `dtype` with `mixer`; `step` multiplies its output by
 * `outputMultiplier` (the decoder layer's ssm_out_multiplier).
 */
export function mixerDecodeConstants(mixer: FalconH1Mixer, dtype: DType, outputMultiplier = 1): MixerDecodeConstants {
  const backend = mixer.in_proj.weight.backend;
  const scanDType = ssmComputeDType(dtype);
  const mupIncludesInput = !mixer.in_proj.bias;
  const inputMultiplier = mupIncludesInput ? mixer.config.ssm_in_multiplier : 1;
  const vector = Float64Array.from(computeMupVector(mixer.config), (m) => m * inputMultiplier);
  const outputMultiplierInNorm = mixer.norm !== undefined && !mixer.out_proj.bias;
  // Kept: they outlive the scope of whoever asks for them, until disposeMixerDecodeConstants.
  return tidy(() => {
    const normWeight = mixer.norm
      ? outputMultiplierInNorm
        ? scale(widen(mixer.norm.weight, scanDType), outputMultiplier)
        : widen(mixer.norm.weight, scanDType)
      : undefined;
    return {
      mup: keep(tensor(vector, [vector.length], scanDType, backend)),
      mupIncludesInput,
      dtBias: keep(widen(mixer.dt_bias, scanDType)),
      A: keep(neg(exp(widen(mixer.A_log, scanDType)))),
      D: keep(widen(mixer.D, scanDType)),
      normWeight: normWeight && keep(normWeight),
      outputMultiplier,
      outputMultiplierInNorm,
    };
  });
}

export function disposeMixerDecodeConstants(constants: MixerDecodeConstants): void {
  const { mup, dtBias, A, D, normWeight } = constants;
  dispose([mup, dtBias, A, D, ...(normWeight ? [normWeight] : [])]);
}

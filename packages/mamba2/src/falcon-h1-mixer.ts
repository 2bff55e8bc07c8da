/**
 * FalconH1Mixer: the Mamba2 mixer of a Falcon-H1 layer, as transformers' `FalconH1Mixer` computes it.
 *
 *   u        = ssm_in_multiplier · hidden                                [B, T, D]
 *   zxbcdt   = in_proj(u), each segment scaled by its μP multiplier      z [d_ssm] x [d_ssm] B [GN] C [GN] dt [H]
 *   xBC      = silu(causal_conv1d(xBC) + conv_bias)                      depthwise, zero left padding
 *   dt       = clamp(softplus(dt + dt_bias), time_step_limit)
 *   A        = −exp(A_log)
 *   y        = SSD scan over (x, dt, A, B, C) + D·x                      head h reads group h // (H/G)
 *   y        = GatedRMSNorm(y, z)  if mamba_rms_norm  else  y·silu(z)
 *   out      = out_proj(y)
 *
 * Prefill and training run the chunked SSD kernel (`ssmScan`); decoding one token runs `causalConv1dUpdate` and
 * `ssmStep` on a `MambaLayerState` — or, with decode constants, the fused `ssmDecodeStep` on the packed in_proj
 * output (the same kernels composed where a backend lacks it), `ssmDecodeStepInPlace` for a state whose Variables
 * persist (`inPlaceMambaState`: the static decoder's buffers, updated in place, no copies back). `stepProjected`
 * takes the packed projection from the caller, at a column offset of a wider row (the decoder layer projects in_proj
 * and attention's q|k|v in one MatMul); `inPlaceStepInputs` hands that in-place step's inputs to a caller that runs
 * it inside a fused kernel of its own (the decoder layer's one kernel for both mixers). `forwardProjected` is
 * `forward` up to out_proj from such a caller's projection of a whole sequence (inference: the decoder layer's
 * prefill with inference constants, no Scale, dt_bias/A/D from the constants). Document ids (`seqIdx`) make
 * the conv and the scan restart at every document boundary of a packed row (the seminar's "hidden state resetting";
 * transformers has no such input).
 *
 * Precision: the scan (dt, A, x, B, C, D, the state) and the gate (norm or silu) compute in f32 even for 16-bit
 * activations — transformers' reference path casts x, B and C to float32 and rounds only before out_proj; the
 * projections and the conv stay in the activations' dtype. In `forward`, x, B and C reach the scan in the
 * activations' dtype (the conv output is 16-bit already, so the kernel's own widening is exact and a backend may run
 * the SSD on 16-bit tensor cores), dt, A and D in f32; the scan returns y in dt's dtype, f32, straight to the gate.
 * The output of the mixer has the input's dtype.
 */
import {
  add,
  cast,
  causalConv1d,
  causalConv1dUpdate,
  clamp,
  concat,
  type DType,
  equal,
  exp,
  linear,
  mul,
  neg,
  reshape,
  rmsNormGated,
  type SsmDecodeStepInPlaceInputs,
  type SsmDecodeStepInPlaceOptions,
  type SsmDecodeStepInputs,
  scale,
  silu,
  sliceAxis,
  softplus,
  split,
  ssmDecodeStep,
  ssmDecodeStepInPlace,
  ssmScan,
  ssmStep,
  swiGlu,
  type Tensor,
  transpose,
  type Variable,
  where,
  zeros,
} from '@falcon-h1/core-tensor';
import { type InPlaceMambaState, isInPlaceMambaState, type MambaLayerState, ssmComputeDType } from './mamba-state.js';
import { type FalconH1MixerConfig, type MixerSizes, mixerSizes } from './mixer-config.js';
import type { MixerDecodeConstants } from './mixer-decode-constants.js';
import { mixerParameterShapes, type ParameterProvider } from './mixer-parameters.js';
import { inProjSegments, segmentMultipliers } from './mup-vector.js';

export interface MixerForwardOptions {
  /** i32 [B, T] document ids of a packed batch: the conv and the SSM state restart at every change. */
  seqIdx?: Tensor;
  /** The state before the first token (after an earlier call); zeros when absent. */
  state?: MambaLayerState;
  /** Also return the state after the last token (for a cache). */
  returnState?: boolean;
}

export interface MixerOutput {
  /** [B, T, D] (or [B, D] from `step`) in the input's dtype. */
  out: Tensor;
  /** The state after the last token, when asked for (always from `step`). */
  state?: MambaLayerState;
}

/**
 * A decode step on a state updated in place, as `FalconH1Mixer.inPlaceStepInputs` hands it to a caller's fused
 * kernel: `SsmDecodeStepInPlace`'s inputs without the row (zxbcdt) and its options without the gate (always
 * y·silu(z) here) — the shape core's `parallelMixersDecodeStep` takes for its SSM half.
 */
export interface InPlaceStepInputs {
  readonly inputs: Omit<SsmDecodeStepInPlaceInputs, 'zxbcdt'>;
  readonly options: Omit<SsmDecodeStepInPlaceOptions, 'gate'>;
}

function toDType(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : cast(x, dtype);
}

export class FalconH1Mixer {
  readonly config: FalconH1MixerConfig;
  readonly sizes: MixerSizes;
  readonly in_proj: { weight: Variable; bias?: Variable };
  readonly conv1d: { weight: Variable; bias?: Variable };
  readonly dt_bias: Variable;
  readonly A_log: Variable;
  readonly D: Variable;
  readonly norm?: { weight: Variable };
  readonly out_proj: { weight: Variable; bias?: Variable };

  constructor(config: FalconH1MixerConfig, parameter: ParameterProvider) {
    this.config = config;
    this.sizes = mixerSizes(config);
    const p: Record<string, Variable> = {};
    for (const { name, shape } of mixerParameterShapes(config)) p[name] = parameter(name, shape);
    this.in_proj = { weight: p['in_proj.weight']!, bias: p['in_proj.bias'] };
    this.conv1d = { weight: p['conv1d.weight']!, bias: p['conv1d.bias'] };
    this.dt_bias = p['dt_bias']!;
    this.A_log = p['A_log']!;
    this.D = p['D']!;
    if (config.mamba_rms_norm) this.norm = { weight: p['norm.weight']! };
    this.out_proj = { weight: p['out_proj.weight']!, bias: p['out_proj.bias'] };
  }

  /**
   * zxbcdt = in_proj(ssm_in_multiplier·u) ∘ mup_vector, split into z, xBC, dt: each segment times its μP multiplier
   * (a Scale with the f32 multiplier — a 16-bit vector would round it). Without an in_proj bias ssm_in_multiplier
   * joins the segments' multipliers — in_proj(m·u) = m·in_proj(u) — and u is not scaled (one Scale less each way).
   */
  private project(u: Tensor): { z: Tensor; xBC: Tensor; dt: Tensor } {
    const inputMultiplier = this.config.ssm_in_multiplier;
    const folded = this.in_proj.bias === undefined;
    const input = folded || inputMultiplier === 1 ? u : scale(u, inputMultiplier);
    const projected = linear(input, this.in_proj.weight, this.in_proj.bias);
    const segments = inProjSegments(this.config);
    const multipliers = segmentMultipliers(this.config).map((m) => (folded ? m * inputMultiplier : m));
    const parts = split(
      projected,
      segments.map((s) => s.width),
      -1,
    ).map((part, i) => (multipliers[i] === 1 ? part : scale(part, multipliers[i]!)));
    const [z, x, B, C, dt] = parts as [Tensor, Tensor, Tensor, Tensor, Tensor];
    return { z, xBC: concat([x, B, C], -1), dt };
  }

  /** dt = clamp(softplus(dt + dt_bias), time_step_limit) and A = −exp(A_log), in the scan dtype. */
  private discretisation(dtRaw: Tensor, scanDType: DType): { dt: Tensor; A: Tensor } {
    const dt = this.timeStep(dtRaw, toDType(this.dt_bias, scanDType));
    const A = neg(exp(toDType(this.A_log, scanDType)));
    return { dt, A };
  }

  /** clamp(softplus(dt + dtBias), time_step_limit) in dtBias's dtype (the scan dtype). */
  private timeStep(dtRaw: Tensor, dtBias: Tensor): Tensor {
    const dt = softplus(add(toDType(dtRaw, dtBias.dtype), dtBias));
    const [lo, hi] = this.config.time_step_limit;
    // softplus is positive: the default limit (0, ∞) changes nothing, so the clamp is skipped for it.
    return lo > 0 || hi < Number.POSITIVE_INFINITY ? clamp(dt, lo, hi) : dt;
  }

  /** Mamba2's grouped gated RMSNorm of y (scan dtype) with z, its weight in y's dtype. */
  private gatedNorm(y: Tensor, z: Tensor, weight: Tensor): Tensor {
    return rmsNormGated(y, toDType(z, y.dtype), weight, {
      eps: this.config.rms_norm_eps,
      groupSize: this.sizes.dSsm / this.config.mamba_n_groups,
      normBeforeGate: this.config.mamba_norm_before_gate,
    });
  }

  /**
   * Gated RMSNorm of y with z, or y·silu(z), then out_proj. y comes in the scan's f32 (f64) dtype and is rounded to
   * the activations' dtype only after the gate, as transformers' reference path does (its scan output is float32
   * and `out_proj(scan_output.to(dtype))` rounds once).
   */
  private gateAndProject(y: Tensor, z: Tensor, dtype: DType): Tensor {
    const scanDType = y.dtype;
    const gated = this.norm
      ? this.gatedNorm(y, z, toDType(this.norm.weight, scanDType))
      : mul(y, toDType(silu(z), scanDType));
    return linear(toDType(gated, dtype), this.out_proj.weight, this.out_proj.bias);
  }

  /** The conv output split into x, B and C in `dtype` (one cast of the whole xBC, not one per part). */
  private scanInputs(xBC: Tensor, dtype: DType): [Tensor, Tensor, Tensor] {
    const { dSsm, groupsTimesState } = this.sizes;
    return split(toDType(xBC, dtype), [dSsm, groupsTimesState, groupsTimesState], -1) as [Tensor, Tensor, Tensor];
  }

  /** The depthwise kernel as [conv_dim, K] (a view of the [conv_dim, 1, K] parameter). */
  private convWeight(): Tensor {
    return reshape(this.conv1d.weight, [this.sizes.convDim, this.config.mamba_d_conv]);
  }

  /** A whole sequence (prefill, training): hidden [B, T, D] → out [B, T, D], through the chunked SSD scan. */
  forward(hidden: Tensor, options: MixerForwardOptions = {}): MixerOutput {
    if (hidden.rank !== 3 || hidden.shape[2] !== this.config.hidden_size) {
      throw new Error(
        `FalconH1Mixer: hidden states must be [B, T, ${this.config.hidden_size}], got [${hidden.shape.join(', ')}]`,
      );
    }
    const scanDType = ssmComputeDType(hidden.dtype);
    const { z, xBC: xBCRaw, dt: dtRaw } = this.project(hidden);
    const { dt, A } = this.discretisation(dtRaw, scanDType);
    const scan = this.convAndScan(xBCRaw, dt, A, toDType(this.D, scanDType), options);
    // y comes back in dt's dtype, the scan dtype: the gate reads it unrounded, as it does the decode step's f32 y.
    const out = this.gateAndProject(scan.y, z, hidden.dtype);
    return scan.state ? { out, state: scan.state } : { out };
  }

  /**
   * `forward` up to out_proj, from a projection the caller made with decode constants (inference only: a prefill
   * with no gradient tape): projected [B, T, W] holds the packed, pre-scaled [z | x B C | dt] (`scaledInProj`
   * applied to the tokens) at columns [offset, offset + 2·d_ssm + 2GN + H) — Falcon-H1's decoder layer stacks
   * attention's q|k|v after them, one MatMul for both branches. → the gated SSM output [B, T, d_ssm] in projected's
   * dtype, to be multiplied by out_proj (times ssm_out_multiplier: the decoder layer merges it with o_proj), and
   * with `returnState` the state after the last token, as `forward` returns it.
   *
   * The multipliers are in the projection (no Scale), dt_bias, A = −exp(A_log), D and the norm weight come from the
   * constants in the scan dtype (no Cast, Exp or Neg), and the projection is read through three column Slices (z,
   * the pre-conv xBC, dt) instead of a split into five and a Concat of x, B and C. The plain y·silu(z) gate is one
   * SwiGlu(gate = z, up = y) in the scan dtype (forward: Silu, its Cast, Mul): the same product, silu(z) not rounded
   * to a 16-bit dtype first. Kernels: 3 Slices · [Cast] · Add · Softplus · [Clamp] (dt) · CausalConv1d · 3 Slices
   * (x, B, C) · SsmScan · the gate ([Cast of z] · SwiGlu, or [Cast] · RmsNormGated) · [Cast of the output];
   * bracketed ones only for 16-bit activations or a time-step limit.
   */
  forwardProjected(
    projected: Tensor,
    constants: MixerDecodeConstants,
    options: MixerForwardOptions & { offset?: number } = {},
  ): { gated: Tensor; state?: MambaLayerState } {
    const { dSsm, convDim, projectionWidth } = this.sizes;
    const offset = options.offset ?? 0;
    if (projected.rank !== 3 || projected.shape[2]! < offset + projectionWidth) {
      throw new Error(
        `FalconH1Mixer.forwardProjected: projected must be [B, T, W] with W ≥ offset ${offset} + ${projectionWidth} (in_proj's width), got [${projected.shape.join(', ')}]`,
      );
    }
    const column = (start: number, width: number): Tensor => sliceAxis(projected, 2, offset + start, width);
    const z = column(0, dSsm);
    const xBCRaw = column(dSsm, convDim);
    const dt = this.timeStep(column(dSsm + convDim, this.config.mamba_n_heads), constants.dtBias);
    const scan = this.convAndScan(xBCRaw, dt, constants.A, constants.D, options);
    const gated = constants.normWeight
      ? this.gatedNorm(scan.y, z, constants.normWeight)
      : swiGlu(toDType(z, scan.y.dtype), scan.y);
    return { gated: toDType(gated, projected.dtype), state: scan.state };
  }

  /**
   * The causal conv of the pre-conv xBC [B, T, conv_dim] (after the state's columns, restarting at document
   * boundaries) and the chunked SSD scan over its x, B, C with dt, A, D (scan dtype) → y [B, T, d_ssm] in dt's dtype
   * and, with `returnState`, the state after the last token.
   */
  private convAndScan(
    xBCRaw: Tensor,
    dt: Tensor,
    A: Tensor,
    D: Tensor,
    options: MixerForwardOptions,
  ): { y: Tensor; state?: MambaLayerState } {
    const [b, t] = xBCRaw.shape as [number, number, number];
    const { mamba_n_heads: h, mamba_d_head: p, mamba_n_groups: g, mamba_d_state: n, mamba_d_conv: k } = this.config;
    const { seqIdx, state } = options;
    const xBC = causalConv1d(xBCRaw, this.convWeight(), {
      bias: this.conv1d.bias,
      initialState: state && k > 1 ? sliceAxis(state.convState, 2, 1, k - 1) : undefined,
      seqIdx,
      activation: 'silu',
    });
    // x, B, C stay in the activations' dtype (no cast of xBC); dt, A, D are f32 (ssmScan takes the two dtypes).
    const [x, B, C] = this.scanInputs(xBC, xBC.dtype);
    const scan = ssmScan(
      {
        x: reshape(x, [b, t, h, p]),
        dt,
        A,
        Bm: reshape(B, [b, t, g, n]),
        Cm: reshape(C, [b, t, g, n]),
        D,
        initialState: state?.ssmState,
        seqIdx,
      },
      { chunkSize: this.config.mamba_chunk_size },
    );
    const y = reshape(scan.y, [b, t, this.sizes.dSsm]);
    if (!options.returnState) return { y };
    const convState = this.nextConvState(xBCRaw, state, seqIdx, b, this.sizes.convDim);
    return { y, state: { convState, ssmState: scan.finalState } };
  }

  /**
   * The conv cache after a call: the last K columns of [previous state ; pre-conv xBC]. With document ids, columns
   * of any document other than the last token's are zeroed, so decoding continues the last document alone.
   */
  private nextConvState(
    xBCRaw: Tensor,
    state: MambaLayerState | undefined,
    seqIdx: Tensor | undefined,
    b: number,
    convDim: number,
  ): Tensor {
    const k = this.config.mamba_d_conv;
    const t = xBCRaw.shape[1]!;
    let last: Tensor; // [B, C, K]: positions T−K … T−1
    if (!state && t >= k) {
      // A first call of at least K tokens: its own last K columns (no zero state to put in front).
      last = transpose(sliceAxis(xBCRaw, 1, t - k, k), [0, 2, 1]);
    } else {
      const previous = state?.convState ?? zeros([b, convDim, k], xBCRaw.dtype, xBCRaw.backend);
      const columns = concat([previous, transpose(xBCRaw, [0, 2, 1])], 2); // [B, C, K + T]: column c is position c − K
      last = sliceAxis(columns, 2, t, k);
    }
    if (!seqIdx) return last;
    // Documents of positions T−K … T−1; a position before this call belongs to the first token's document.
    const before = Math.max(0, k - t);
    const own = sliceAxis(seqIdx, 1, Math.max(0, t - k), Math.min(t, k));
    // [B, K] (a call of at least K tokens: its own last K ids, no Concat)
    const docs = before === 0 ? own : concat([...new Array<Tensor>(before).fill(sliceAxis(seqIdx, 1, 0, 1)), own], 1);
    const sameDocument = equal(docs, sliceAxis(seqIdx, 1, t - 1, 1)); // [B, K]
    return where(reshape(sameDocument, [b, 1, k]), last, zeros([], last.dtype, last.backend));
  }

  /**
   * One decode step: hidden [B, D] (or [B, 1, D]) → out of the same shape, and the next state. With decode
   * constants (`mixerDecodeConstants`, made once per generation) the step runs the kernels they leave (see
   * `stepGated`) and returns `constants.outputMultiplier · out`; a state made by `inPlaceMambaState` is then updated
   * in place and returned as the next state (it needs the constants).
   */
  step(hidden: Tensor, state: MambaLayerState, constants?: MixerDecodeConstants): Required<MixerOutput> {
    const { b, u, wasSequence } = this.oneToken(hidden, 'step');
    if (!constants && isInPlaceMambaState(state)) {
      throw new Error('FalconH1Mixer.step: a state updated in place needs decode constants (mixerDecodeConstants)');
    }
    if (constants) {
      if (!constants.out) {
        throw new Error('FalconH1Mixer.step: these decode constants leave out_proj to the caller: use stepGated');
      }
      const gated = this.gatedStep(u, state, constants);
      const out = linear(gated.gated, constants.out.weight, constants.out.bias);
      return { out: wasSequence ? reshape(out, [b, 1, this.config.hidden_size]) : out, state: gated.state };
    }
    const scanDType = ssmComputeDType(hidden.dtype);
    const { z, xBC, dt: dtRaw } = this.project(u);
    const { dt, A } = this.discretisation(dtRaw, scanDType);
    const next = this.convAndSsmStep(state, xBC, dt, A, toDType(this.D, scanDType));
    const out = this.gateAndProject(next.y, z, hidden.dtype);
    return { out: wasSequence ? reshape(out, [b, 1, this.config.hidden_size]) : out, state: next.state };
  }

  /**
   * The decode step without constants after in_proj: the conv update of the pre-conv xBC [B, conv_dim], its split
   * into x, B and C in the scan dtype, and the SSM step → y [B, d_ssm] (scan dtype) and the next state. (The step
   * with constants runs the same kernels fused, `ssmDecodeStep`.)
   */
  private convAndSsmStep(
    state: MambaLayerState,
    xBC: Tensor,
    dt: Tensor,
    A: Tensor,
    D: Tensor,
  ): { y: Tensor; state: MambaLayerState } {
    const { mamba_n_heads: h, mamba_d_head: p, mamba_n_groups: g, mamba_d_state: n } = this.config;
    const b = xBC.shape[0]!;
    const conv = causalConv1dUpdate(state.convState, xBC, this.convWeight(), {
      bias: this.conv1d.bias,
      activation: 'silu',
    });
    const [x, B, C] = this.scanInputs(conv.y, dt.dtype);
    const next = ssmStep({
      state: state.ssmState,
      x: reshape(x, [b, h, p]),
      dt,
      A,
      Bm: reshape(B, [b, g, n]),
      Cm: reshape(C, [b, g, n]),
      D,
    });
    return { y: reshape(next.y, [b, this.sizes.dSsm]), state: { convState: conv.convState, ssmState: next.state } };
  }

  /**
   * One decode step up to out_proj: hidden [B, D] (or [B, 1, D]) → the gated SSM output [B, d_ssm] (or
   * [B, 1, d_ssm]) in hidden's dtype, and the next state; `out = out_proj(gated)`. For a caller that merges out_proj
   * with another projection (the decoder layer: out_proj and attention's o_proj in one MatMul).
   */
  stepGated(
    hidden: Tensor,
    state: MambaLayerState,
    constants: MixerDecodeConstants,
  ): { gated: Tensor; state: MambaLayerState } {
    const { b, u, wasSequence } = this.oneToken(hidden, 'stepGated');
    const result = this.gatedStep(u, state, constants);
    return wasSequence ? { ...result, gated: reshape(result.gated, [b, 1, this.sizes.dSsm]) } : result;
  }

  private oneToken(hidden: Tensor, method: string): { b: number; u: Tensor; wasSequence: boolean } {
    const wasSequence = hidden.rank === 3;
    if ((wasSequence && hidden.shape[1] !== 1) || !(wasSequence || hidden.rank === 2)) {
      throw new Error(
        `FalconH1Mixer.${method}: one token per row, [B, D] or [B, 1, D]; got [${hidden.shape.join(', ')}]`,
      );
    }
    const b = hidden.shape[0]!;
    return { b, u: wasSequence ? reshape(hidden, [b, this.config.hidden_size]) : hidden, wasSequence };
  }

  /**
   * The decode step with constants, u [B, D] → gated [B, d_ssm] in u's dtype: one MatMul (the packed, pre-scaled
   * in_proj, in u's dtype as prefill's), then `stepProjected`.
   */
  private gatedStep(
    u: Tensor,
    state: MambaLayerState,
    constants: MixerDecodeConstants,
  ): { gated: Tensor; state: MambaLayerState } {
    if (!constants.inProj) {
      throw new Error(
        'FalconH1Mixer: these decode constants leave in_proj to the caller (projectInput: false): use stepProjected',
      );
    }
    return this.stepProjected(linear(u, constants.inProj.weight, constants.inProj.bias), state, constants);
  }

  /**
   * The decode step after in_proj, from a projection the caller made: row [B, W] holds the packed, pre-scaled
   * [z | x B C | dt] (the constants' in_proj, `scaledInProj`, applied to the token) at columns [offset, offset +
   * 2·d_ssm + 2GN + H) — a row of in_proj alone, or a wider one whose other columns belong to another projection
   * (the decoder layer stacks attention's q|k|v after these rows). → the gated SSM output [B, d_ssm] in row's dtype,
   * to be multiplied by out_proj, and the next state. Kernels: one `SsmDecodeStep` (the conv update, dt, the SSM
   * step and the y·silu(z) gate; it reads a sliced row when offset or width differ) — `SsmDecodeStepInPlace` on its
   * columns of the row for a state made by `inPlaceMambaState`, whose Variables receive the next state (returned as
   * it is); a config with the gated RMSNorm has the kernel return y ungated (f32) and adds the Slice of z, the norm
   * (and, for 16-bit activations, z's cast and the normed output's cast).
   */
  stepProjected(
    row: Tensor,
    state: MambaLayerState,
    constants: MixerDecodeConstants,
    options: { offset?: number } = {},
  ): { gated: Tensor; state: MambaLayerState } {
    const { dSsm, projectionWidth } = this.sizes;
    const offset = options.offset ?? 0;
    this.checkProjectedRow(row, offset, 'stepProjected');
    const norm = constants.normWeight;
    const gate = norm ? ('none' as const) : ('silu' as const);
    let y: Tensor;
    let next: MambaLayerState;
    if (isInPlaceMambaState(state)) {
      const step = this.inPlaceStep(state, constants, offset);
      y = ssmDecodeStepInPlace({ ...step.inputs, zxbcdt: row }, { ...step.options, gate });
      next = state;
    } else {
      // The functional kernel reads a row of in_proj's width exactly.
      const zxbcdt =
        offset === 0 && row.shape[1] === projectionWidth ? row : sliceAxis(row, 1, offset, projectionWidth);
      const step = ssmDecodeStep(
        { ...this.stepConstants(constants), zxbcdt, convState: state.convState, ssmState: state.ssmState },
        { gate, timeStepLimit: this.config.time_step_limit },
      );
      y = step.y;
      next = { convState: step.convState, ssmState: step.ssmState };
    }
    if (!norm) return { gated: y, state: next };
    // y comes in the scan dtype (f32), as the norm reads it; z is the projection's first d_ssm columns.
    const normed = this.gatedNorm(y, sliceAxis(row, 1, offset, dSsm), norm);
    return { gated: toDType(normed, row.dtype), state: next };
  }

  /**
   * What `stepProjected` would hand its one kernel, for a caller that runs the step inside a fused kernel of its own
   * (the decoder layer: core's `parallelMixersDecodeStep`, the SSM and attention steps as one kernel): the inputs of
   * `SsmDecodeStepInPlace` but the row (zxbcdt: `row` itself, the caller passes it) and its options but the gate
   * (y·silu(z)). Only such a step can be handed over whole: `undefined` for a state not updated in place (the
   * functional step returns new states) and for a config with the gated RMSNorm (kernels of its own after the step).
   * The state after the kernel is `state` itself, updated in place. Checks the row as `stepProjected` does.
   */
  inPlaceStepInputs(
    row: Tensor,
    state: MambaLayerState,
    constants: MixerDecodeConstants,
    options: { offset?: number } = {},
  ): InPlaceStepInputs | undefined {
    const offset = options.offset ?? 0;
    this.checkProjectedRow(row, offset, 'inPlaceStepInputs');
    if (!isInPlaceMambaState(state) || constants.normWeight) return undefined;
    return this.inPlaceStep(state, constants, offset);
  }

  /** SsmDecodeStepInPlace's inputs (but zxbcdt) and options (but the gate) for a state updated in place. */
  private inPlaceStep(state: InPlaceMambaState, constants: MixerDecodeConstants, offset: number): InPlaceStepInputs {
    return {
      inputs: { ...this.stepConstants(constants), convState: state.convState, ssmState: state.ssmState },
      options: { timeStepLimit: this.config.time_step_limit, offset },
    };
  }

  /** The step's inputs that are neither the row nor the state: the conv's weight and bias, dt_bias, A, D. */
  private stepConstants(
    constants: MixerDecodeConstants,
  ): Omit<SsmDecodeStepInputs, 'zxbcdt' | 'convState' | 'ssmState'> {
    return {
      convWeight: this.convWeight(),
      convBias: this.conv1d.bias,
      dtBias: constants.dtBias,
      A: constants.A,
      D: constants.D,
    };
  }

  private checkProjectedRow(row: Tensor, offset: number, method: string): void {
    const width = this.sizes.projectionWidth;
    if (row.rank !== 2 || row.shape[1]! < offset + width) {
      throw new Error(
        `FalconH1Mixer.${method}: row must be [B, W] with W ≥ offset ${offset} + ${width} (in_proj's width), got [${row.shape.join(', ')}]`,
      );
    }
  }
}

/**
 * What the Mamba2 mixer reads from a Falcon-H1 config, under transformers' own attribute names (a parsed
 * `FalconH1Config` of @falcon-h1/hybrid-block is one), and the sizes derived from it.
 */

export interface FalconH1MixerConfig {
  readonly hidden_size: number;
  /** d_ssm: the SSM width (not expand·hidden in any published size). */
  readonly mamba_d_ssm: number;
  /** H: SSM heads. */
  readonly mamba_n_heads: number;
  /** P: channels per head (d_ssm / H). */
  readonly mamba_d_head: number;
  /** G: groups of B and C; head h reads group h // (H/G). */
  readonly mamba_n_groups: number;
  /** N: state size. */
  readonly mamba_d_state: number;
  /** K: conv width. */
  readonly mamba_d_conv: number;
  /** Q: SSD chunk length (any value gives the same result up to rounding). */
  readonly mamba_chunk_size: number;
  readonly mamba_conv_bias: boolean;
  /** Bias of in_proj. */
  readonly mamba_proj_bias: boolean;
  /** Bias of out_proj. */
  readonly projectors_bias: boolean;
  /** Gated RMSNorm of y with z (true) or plain y·silu(z) (false). */
  readonly mamba_rms_norm: boolean;
  readonly mamba_norm_before_gate: boolean;
  readonly rms_norm_eps: number;
  /** dt is clamped to [min, max] after the softplus. */
  readonly time_step_limit: readonly [number, number];
  /** μP multipliers of the z, x, B, C and dt segments of in_proj. */
  readonly ssm_multipliers: readonly number[];
  /** Multiplies the mixer's input before in_proj. */
  readonly ssm_in_multiplier: number;
}

/** Sizes every part of the mixer agrees on. */
export interface MixerSizes {
  /** d_ssm */
  readonly dSsm: number;
  /** G·N: the width of B and of C. */
  readonly groupsTimesState: number;
  /** d_ssm + 2GN: the channels of the causal conv (x, B and C). */
  readonly convDim: number;
  /** 2·d_ssm + 2GN + H: the width of in_proj (z, x, B, C, dt). */
  readonly projectionWidth: number;
}

export function mixerSizes(config: FalconH1MixerConfig): MixerSizes {
  const dSsm = config.mamba_d_ssm;
  const groupsTimesState = config.mamba_n_groups * config.mamba_d_state;
  const convDim = dSsm + 2 * groupsTimesState;
  return { dSsm, groupsTimesState, convDim, projectionWidth: dSsm + convDim + config.mamba_n_heads };
}

/**
 * The recurrent state of one mixer between calls: what a Falcon-H1 hybrid cache holds per layer for the SSM side.
 *
 *   convState [B, conv_dim, K]   the last K pre-conv (post-μP) xBC columns, oldest first; zeros before the first token
 *   ssmState  [B, H, P, N]       the SSM state S after the last token, always f32 (f64 for f64 activations) — as
 *                                llama.cpp keeps it, not in the model dtype as transformers does
 *
 * A state is immutable: every call returns a new one. Whoever keeps states between scopes (the hybrid cache)
 * marks them with `keep()` and disposes the old ones. The exception is a state made by `inPlaceMambaState`: two
 * Variables that persist from step to step (the static decoder's buffers, which a captured graph replays), which a
 * decode step with constants updates in place (core's `ssmDecodeStepInPlace`) and returns as the next state — no
 * copy of the next state back into the buffers.
 */
import { type Backend, type DType, dispose, type Tensor, type Variable, zeros } from '@falcon-h1/core-tensor';
import { type FalconH1MixerConfig, mixerSizes } from './mixer-config.js';

export interface MambaLayerState {
  readonly convState: Tensor;
  readonly ssmState: Tensor;
  /** Set by `inPlaceMambaState`: decode steps with constants write the next state into these tensors. */
  readonly updatedInPlace?: boolean;
}

/** A state whose two Variables decode steps with constants update in place (see `inPlaceMambaState`). */
export interface InPlaceMambaState extends MambaLayerState {
  readonly convState: Variable;
  readonly ssmState: Variable;
  readonly updatedInPlace: true;
}

/** The state held in `convState` and `ssmState`, updated in place by every decode step with constants. */
export function inPlaceMambaState(convState: Variable, ssmState: Variable): InPlaceMambaState {
  return { convState, ssmState, updatedInPlace: true };
}

export function isInPlaceMambaState(state: MambaLayerState): state is InPlaceMambaState {
  return state.updatedInPlace === true;
}

/** The dtype the SSD scan and the SSM state use for activations of `dtype`: f64 for f64, f32 otherwise. */
export function ssmComputeDType(dtype: DType): 'f32' | 'f64' {
  return dtype === 'f64' ? 'f64' : 'f32';
}

/** The state before any token: zeros (on `backend`, default the current one). */
export function emptyMambaState(
  config: FalconH1MixerConfig,
  batch: number,
  dtype: DType,
  backend?: Backend,
): MambaLayerState {
  const { convDim } = mixerSizes(config);
  const ssmShape = [batch, config.mamba_n_heads, config.mamba_d_head, config.mamba_d_state];
  return {
    convState: zeros([batch, convDim, config.mamba_d_conv], dtype, backend),
    ssmState: zeros(ssmShape, ssmComputeDType(dtype), backend),
  };
}

export function disposeMambaState(state: MambaLayerState | undefined): void {
  if (state) dispose([state.convState, state.ssmState]);
}

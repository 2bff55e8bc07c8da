/**
 * The Mamba2 mixer's whole decode step after in_proj (fused kernel `SsmDecodeStep`): the packed in_proj output of
 * one token → the gated SSM output and the next conv and SSM states. A decode step is launch-bound; one kernel here
 * replaces the slices, dt's Add and Softplus, the conv update, the SSM step and the gate (and their 16-bit casts).
 * Decode only: the gradient, if a tape ever asks, is the composition's (gradients/SsmDecodeStep.grad.ts).
 */
import { composeSsmDecodeStep } from '../../compositions/ssm-decode-step.js';
import { runFused } from '../../fused-dispatch.js';
import type { ConvActivation, SsmGate } from '../../kernel-contract.js';
import type { Tensor } from '../../tensor.js';
import { checkSsmDecodeStep } from './ssm-decode-step-checks.js';

export interface SsmDecodeStepInputs {
  /** [B, dSsm + convDim + H]: in_proj's output of one token, [z | x B C | dt] (μP multipliers applied) */
  zxbcdt: Tensor;
  /** [B, convDim, K] in zxbcdt's dtype: the last K pre-conv xBC columns, oldest first */
  convState: Tensor;
  /** [convDim, K] in zxbcdt's dtype (the [convDim, 1, K] parameter reshaped) */
  convWeight: Tensor;
  /** [convDim] in zxbcdt's dtype */
  convBias?: Tensor;
  /**
   * [B, H, P, N] in the state dtype: f32 (f64 for f64 activations); or a 16-bit state in zxbcdt's f16/bf16, widened
   * to f32 for the step, the new state rounded back to it once
   */
  ssmState: Tensor;
  /** [H], state dtype */
  dtBias: Tensor;
  /** [H], state dtype, negative (−exp(A_log)) */
  A: Tensor;
  /** [H], state dtype */
  D?: Tensor;
}

export interface SsmDecodeStepOptions {
  /** y·silu(z) ('silu', default), or y alone ('none': a gated RMSNorm applies z after the step). */
  gate?: SsmGate;
  /** The conv's activation (Mamba2: 'silu', the default). */
  activation?: ConvActivation;
  /** dt's clamp, Falcon-H1's `time_step_limit` (default [0, ∞): none). */
  timeStepLimit?: readonly [number, number];
}

/** (A type, not an interface: it is a plain record of tensors wherever one is expected.) */
export type SsmDecodeStepOutputs = {
  /** [B, dSsm]: zxbcdt's dtype with the silu gate, the state dtype without. */
  y: Tensor;
  convState: Tensor;
  /** ssmState's dtype (a 16-bit state comes back rounded to it). */
  ssmState: Tensor;
};

/**
 * One Mamba2 decode step from the packed projection (see the contract's SsmDecodeStep): the sizes come from the
 * states — H, P, N from ssmState [B, H, P, N], convDim and K from convState [B, convDim, K], G = (convDim − H·P)/(2N).
 */
export function ssmDecodeStep(inputs: SsmDecodeStepInputs, options: SsmDecodeStepOptions = {}): SsmDecodeStepOutputs {
  return runFused(
    'SsmDecodeStep',
    { ...inputs },
    checkSsmDecodeStep('ssmDecodeStep', inputs, options),
    composeSsmDecodeStep,
  ) as SsmDecodeStepOutputs;
}

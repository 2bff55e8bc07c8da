/**
 * The Mamba2 mixer's whole decode step after in_proj (fused kernel `SsmDecodeStep`): the packed in_proj output of
 * one token → the gated SSM output and the next conv and SSM states. A decode step is launch-bound; one kernel here
 * replaces the slices, dt's Add and Softplus, the conv update, the SSM step and the gate (and their 16-bit casts).
 * Decode only: the gradient, if a tape ever asks, is the composition's (gradients/SsmDecodeStep.grad.ts).
 */
import { composeSsmDecodeStep } from '../../compositions/ssm-decode-step.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import type { ConvActivation, SsmGate } from '../../kernel-contract.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';
import { ssmStateDType } from './ssm-scan.js';

export interface SsmDecodeStepInputs {
  /** [B, dSsm + convDim + H]: in_proj's output of one token, [z | x B C | dt] (μP multipliers applied) */
  zxbcdt: Tensor;
  /** [B, convDim, K] in zxbcdt's dtype: the last K pre-conv xBC columns, oldest first */
  convState: Tensor;
  /** [convDim, K] in zxbcdt's dtype (the [convDim, 1, K] parameter reshaped) */
  convWeight: Tensor;
  /** [convDim] in zxbcdt's dtype */
  convBias?: Tensor;
  /** [B, H, P, N] in the state dtype: f32 (f64 for f64 activations) */
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
  ssmState: Tensor;
};

function expectShape(what: string, t: Tensor | undefined, dtype: string, shape: readonly number[]): void {
  if (!t) return;
  if (t.dtype !== dtype || formatShape(t.shape) !== formatShape(shape)) {
    throw new Error(
      `ssmDecodeStep: ${what} must be ${dtype}${formatShape(shape)}, got ${t.dtype}${formatShape(t.shape)}`,
    );
  }
}

/**
 * One Mamba2 decode step from the packed projection (see the contract's SsmDecodeStep): the sizes come from the
 * states — H, P, N from ssmState [B, H, P, N], convDim and K from convState [B, convDim, K], G = (convDim − H·P)/(2N).
 */
export function ssmDecodeStep(inputs: SsmDecodeStepInputs, options: SsmDecodeStepOptions = {}): SsmDecodeStepOutputs {
  const { zxbcdt, convState, ssmState } = inputs;
  if (!isFloatDType(zxbcdt.dtype) || zxbcdt.rank !== 2) {
    throw new Error(
      `ssmDecodeStep: zxbcdt must be float [B, dSsm + convDim + H], got ${zxbcdt.dtype}${formatShape(zxbcdt.shape)}`,
    );
  }
  if (ssmState.rank !== 4) {
    throw new Error(`ssmDecodeStep: ssmState must be [B, H, P, N], got ${formatShape(ssmState.shape)}`);
  }
  if (convState.rank !== 3) {
    throw new Error(`ssmDecodeStep: convState must be [B, convDim, K], got ${formatShape(convState.shape)}`);
  }
  const [b, h, p, n] = ssmState.shape as [number, number, number, number];
  const [, convDim, k] = convState.shape as [number, number, number];
  const dSsm = h * p;
  const g = (convDim - dSsm) / (2 * n);
  if (!Number.isInteger(g) || g <= 0 || h % g !== 0) {
    throw new Error(
      `ssmDecodeStep: convState's ${convDim} channels must be H·P + 2·G·N = ${dSsm} + 2·G·${n} with G dividing H = ${h} (from ssmState ${formatShape(ssmState.shape)}); G would be ${g}`,
    );
  }
  const state = ssmStateDType(zxbcdt.dtype);
  expectShape('zxbcdt', zxbcdt, zxbcdt.dtype, [b, dSsm + convDim + h]);
  expectShape('convState', convState, zxbcdt.dtype, [b, convDim, k]);
  expectShape('convWeight', inputs.convWeight, zxbcdt.dtype, [convDim, k]);
  expectShape('convBias', inputs.convBias, zxbcdt.dtype, [convDim]);
  expectShape('ssmState', ssmState, state, [b, h, p, n]);
  expectShape('dtBias', inputs.dtBias, state, [h]);
  expectShape('A', inputs.A, state, [h]);
  expectShape('D', inputs.D, state, [h]);
  const [dtMin, dtMax] = options.timeStepLimit ?? [0, Number.POSITIVE_INFINITY];
  if (!(dtMin >= 0 && dtMin <= dtMax)) {
    throw new Error(`ssmDecodeStep: timeStepLimit must be [min, max] with 0 ≤ min ≤ max, got [${dtMin}, ${dtMax}]`);
  }
  const gate = options.gate ?? 'silu';
  const activation = options.activation ?? 'silu';
  if (gate !== 'silu' && gate !== 'none')
    throw new Error(`ssmDecodeStep: gate must be 'silu' or 'none', got '${gate}'`);
  if (activation !== 'silu' && activation !== 'none') {
    throw new Error(`ssmDecodeStep: activation must be 'silu' or 'none', got '${activation}'`);
  }
  return runFused(
    'SsmDecodeStep',
    { ...inputs },
    { activation, gate, dtMin, dtMax },
    composeSsmDecodeStep,
  ) as SsmDecodeStepOutputs;
}

/**
 * The Mamba2 decode step with its states updated in place (fused kernel `SsmDecodeStepInPlace`): what ssmDecodeStep
 * computes, but convState and ssmState are variables whose buffers receive the next states, so a captured decode
 * step copies nothing back; and the step reads its columns of a wider packed row (`offset`), so one MatMul can
 * project both the mixer's [z | x B C | dt] and the attention's q|k|v. Decode only: no gradient, like
 * attentionDecodeStep.
 */
import { composeSsmDecodeStepInPlace } from '../../compositions/ssm-decode-step-in-place.js';
import { runFusedInPlace } from '../../fused-dispatch.js';
import type { Tensor, Variable } from '../../tensor.js';
import { checkOneBackend } from './in-place-checks.js';
import type { SsmDecodeStepInputs, SsmDecodeStepOptions } from './ssm-decode-step.js';
import { checkSsmDecodeStepInPlace } from './ssm-decode-step-checks.js';

export interface SsmDecodeStepInPlaceInputs extends SsmDecodeStepInputs {
  /** [B, convDim, K] in zxbcdt's dtype: the last K pre-conv xBC columns, oldest first; written in place. */
  convState: Variable;
  /** [B, H, P, N] in the state dtype (f32; f64 for f64 activations) or a 16-bit state; written in place. */
  ssmState: Variable;
}

export interface SsmDecodeStepInPlaceOptions extends SsmDecodeStepOptions {
  /** The first of the step's dSsm + convDim + H columns in each row of zxbcdt (default 0). */
  offset?: number;
}

/**
 * One Mamba2 decode step (see the contract's SsmDecodeStepInPlace): zxbcdt [B, W] with W ≥ offset + dSsm + convDim
 * + H, sizes from the states as in ssmDecodeStep. Writes the next conv and SSM states into convState and ssmState
 * and returns y [B, dSsm] (zxbcdt's dtype with the silu gate, the state dtype without).
 */
export function ssmDecodeStepInPlace(
  inputs: SsmDecodeStepInPlaceInputs,
  options: SsmDecodeStepInPlaceOptions = {},
): Tensor {
  const where = 'ssmDecodeStepInPlace';
  const attrs = checkSsmDecodeStepInPlace(where, inputs, options);
  checkOneBackend(where, Object.values(inputs) as Array<Tensor | undefined>);
  return runFusedInPlace('SsmDecodeStepInPlace', { ...inputs }, attrs, () =>
    composeSsmDecodeStepInPlace(inputs, attrs),
  );
}

/**
 * The SSM decode state of the decode-step cases (SsmDecodeStep, SsmDecodeStepInPlace, ParallelMixersDecodeStep):
 * f32 as a bf16/f16 model keeps it by default, or a 16-bit state — ssmState in the activations' f16/bf16, as
 * transformers keeps it — which the step widens to f32 on load and rounds once to its dtype on store. A 16-bit-state
 * case runs in that dtype only, and compares the stored state with the float64 reference's new state rounded to it
 * (through f32, the contract's rounding), so the comparison measures the backend's step, not the final rounding.
 */
import type { Tensor } from '@falcon-h1/core-tensor';
import * as ops from '@falcon-h1/core-tensor';
import type { CaseInput } from '../case.js';
import { floatIn, stateIn } from '../case-inputs.js';
import type { Rng } from '../random.js';

export type SixteenBitState = 'bf16' | 'f16';

/** ssmState in the state dtype (f32), or — a 16-bit state — in the dtype under test, which the case restricts to it. */
export function ssmStateIn(rng: Rng, shape: readonly number[], state?: SixteenBitState): CaseInput {
  return state ? floatIn(rng, 'ssmState', shape, -1, 1, false) : stateIn(rng, 'ssmState', shape);
}

/** The case's dtypes and params suffix for a 16-bit state ({} and '' for the default f32 state). */
export function sixteenBitStateCase(state?: SixteenBitState): { dtypes?: readonly SixteenBitState[]; params: string } {
  return state ? { dtypes: [state], params: `,state=${state}` } : { params: '' };
}

/**
 * A new SSM state as the case returns it: a backend's 16-bit state as stored (checked to be in that dtype); the
 * float64 reference's (an f64 state: every input of the reference run is f64) rounded to the 16-bit dtype.
 */
export function storedSsmState(state: Tensor, sixteen?: SixteenBitState): Tensor {
  if (!sixteen) return state;
  if (state.dtype === 'f64') return ops.cast(state, sixteen);
  if (state.dtype !== sixteen) throw new Error(`ssmState' is ${state.dtype}, the contract says ssmState's ${sixteen}`);
  return state;
}

/**
 * SsmDecodeStepInPlace: SsmDecodeStep (SsmDecodeStep.ts computes it, in f64) on the columns [offset, offset + dSsm +
 * convDim + H) of each zxbcdt row, with the next states written IN PLACE into convState and ssmState (like
 * AttentionDecodeStep's cache write). The whole step is computed from the old states before either is written, so
 * no part of it reads a state element already updated; each state element is rounded once to its dtype as
 * SsmDecodeStep's outputs are (a 16-bit ssmState too). Returns y [B, dSsm] (zxbcdt's dtype with the silu gate, the
 * state dtype — dtBias's — without).
 */
import {
  type FloatDType,
  type KernelAttrs,
  type KernelInputs,
  roundToDType,
  type TensorInfo,
} from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { ssmDecodeStepValues } from './SsmDecodeStep.js';

export function ssmDecodeStepInPlace(
  store: BufferStore,
  inputs: KernelInputs<'SsmDecodeStepInPlace'>,
  { offset, ...attrs }: KernelAttrs<'SsmDecodeStepInPlace'>,
): TensorInfo {
  const { zxbcdt, convState, ssmState } = inputs;
  const { y, nextConv, nextState } = ssmDecodeStepValues(store, inputs, attrs, offset);
  for (const [state, next] of [
    [convState, nextConv],
    [ssmState, nextState],
  ] as const) {
    const target = store.floats(state);
    for (let i = 0; i < next.length; i++) target[i] = roundToDType(next[i]!, state.dtype as FloatDType);
  }
  const dSsm = ssmState.shape[1]! * ssmState.shape[2]!;
  return store.output(y, [zxbcdt.shape[0]!, dSsm], attrs.gate === 'silu' ? zxbcdt.dtype : inputs.dtBias.dtype);
}

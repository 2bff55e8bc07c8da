/**
 * SsmDecodeStep: the Mamba2 mixer's decode step after in_proj, in f64, from the kernels it fuses (SsmStep.ts and
 * CausalConv1dUpdate.ts compute the recurrences). With dSsm = H·P and convDim = dSsm + 2·G·N:
 *   z, xBC, dtRaw = zxbcdt[b] split into dSsm, convDim and H columns
 *   dt            = clamp(softplus(dtRaw + dtBias), dtMin, dtMax)
 *   xBC', convState' = conv update of xBC; xBC' rounded to zxbcdt's dtype (the contract's one stored intermediate)
 *   y, ssmState'  = SSM step of x, B, C (xBC' split) with dt, A, D
 *   y             = y · silu(z) when gate = 'silu'
 * y is rounded once to zxbcdt's dtype (gate 'silu') or to the state dtype, dtBias's (gate 'none'); the states to
 * their own dtypes. A 16-bit ssmState is read exactly (its values are f64 here like any other) and its new state,
 * computed in f64 like an f32 state's, is rounded once to the 16-bit dtype (through f32, the contract's convention);
 * y comes from the unrounded new state.
 */
import { type KernelAttrs, type KernelInputs, type KernelOutputs, roundToDType } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { siluOf, softplusOf } from './activations.js';
import { causalConv1dUpdateForward } from './CausalConv1dUpdate.js';
import { ssmStepForward } from './SsmStep.js';

type FloatDType = 'f64' | 'f32' | 'f16' | 'bf16';

export function ssmDecodeStep(
  store: BufferStore,
  inputs: KernelInputs<'SsmDecodeStep'>,
  attrs: KernelAttrs<'SsmDecodeStep'>,
): KernelOutputs<'SsmDecodeStep'> {
  const { zxbcdt, convState, ssmState } = inputs;
  const { y, nextConv, nextState } = ssmDecodeStepValues(store, inputs, attrs, 0);
  const dSsm = ssmState.shape[1]! * ssmState.shape[2]!;
  return {
    y: store.output(y, [zxbcdt.shape[0]!, dSsm], attrs.gate === 'silu' ? zxbcdt.dtype : inputs.dtBias.dtype),
    convState: store.output(nextConv, convState.shape, convState.dtype),
    ssmState: store.output(nextState, ssmState.shape, ssmState.dtype),
  };
}

/**
 * The step's y and next states, unrounded (f64), reading the step's columns from `offset` of each zxbcdt row (the
 * row may be wider: SsmDecodeStepInPlace reads its part of a packed projection shared with attention).
 */
export function ssmDecodeStepValues(
  store: BufferStore,
  { zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D }: KernelInputs<'SsmDecodeStep'>,
  { activation, gate, dtMin, dtMax }: KernelAttrs<'SsmDecodeStep'>,
  offset: number,
): { y: Float64Array; nextConv: Float64Array; nextState: Float64Array } {
  const [B, H, P, N] = ssmState.shape;
  const [, C, K] = convState.shape;
  const dSsm = H * P;
  const G = (C - dSsm) / (2 * N);
  const width = zxbcdt.shape[1]!;
  // The step's columns of every row begin at `offset`: index a row's [z | x B C | dt] from there.
  const packed = store.floats(zxbcdt).subarray(offset);
  const dtype = zxbcdt.dtype as FloatDType;

  // The conv update of the xBC columns, rounded to the activations' dtype as a stored conv output is.
  const xBC = new Float64Array(B * C);
  for (let b = 0; b < B; b++) xBC.set(packed.subarray(b * width + dSsm, b * width + dSsm + C), b * C);
  const conv = new Float64Array(B * C);
  const nextConv = new Float64Array(B * C * K);
  const bias = convBias && store.floats(convBias);
  const states = store.floats(convState);
  causalConv1dUpdateForward(conv, nextConv, states, xBC, store.floats(convWeight), bias, activation, B, C, K);
  for (let i = 0; i < conv.length; i++) conv[i] = roundToDType(conv[i], dtype);

  // dt = clamp(softplus(dtRaw + dtBias)) and the split of the conv output into x [B,H,P], B and C [B,G,N].
  const biases = store.floats(dtBias);
  const dt = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const v = softplusOf(packed[b * width + dSsm + C + h] + biases[h]);
      dt[b * H + h] = Math.min(Math.max(v, dtMin), dtMax);
    }
  }
  const x = new Float64Array(B * dSsm);
  const Bm = new Float64Array(B * G * N);
  const Cm = new Float64Array(B * G * N);
  for (let b = 0; b < B; b++) {
    const row = conv.subarray(b * C, (b + 1) * C);
    x.set(row.subarray(0, dSsm), b * dSsm);
    Bm.set(row.subarray(dSsm, dSsm + G * N), b * G * N);
    Cm.set(row.subarray(dSsm + G * N), b * G * N);
  }

  const y = new Float64Array(B * dSsm);
  const nextState = new Float64Array(B * H * P * N);
  const skip = D && store.floats(D);
  const s = store.floats(ssmState);
  ssmStepForward(y, nextState, s, x, dt, store.floats(A), Bm, Cm, skip, B, H, P, G, N);
  if (gate === 'silu') {
    for (let b = 0; b < B; b++) for (let i = 0; i < dSsm; i++) y[b * dSsm + i] *= siluOf(packed[b * width + i]);
  }
  return { y, nextConv, nextState };
}

/**
 * CausalConv1dUpdate: one decode step of CausalConv1d, in f64.
 *   convState [B, C, K] holds the last K inputs, oldest first; x [B, C]; weight [C, K]; bias [C]?
 *   newState[b,c,:] = (convState[b,c,1:], x[b,c])
 *   y[b,c] = act(bias[c] + Σ_k weight[c,k] · newState[b,c,k])
 * Outputs y [B, C] (x's dtype) and the new convState (convState's dtype).
 */
import type { ConvActivation, KernelAttrs, KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { siluOf } from './activations.js';

/** y [B, C], newState [B, C, K] ← one step from convState [B, C, K] with the new column x [B, C]. */
export function causalConv1dUpdateForward(
  y: Float64Array,
  newState: Float64Array,
  convState: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  bias: Float64Array | undefined,
  activation: ConvActivation,
  B: number,
  C: number,
  K: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const base = (b * C + c) * K;
      for (let k = 0; k < K - 1; k++) newState[base + k] = convState[base + k + 1];
      newState[base + K - 1] = x[b * C + c];
      let u = bias ? bias[c] : 0;
      for (let k = 0; k < K; k++) u += weight[c * K + k] * newState[base + k];
      y[b * C + c] = activation === 'silu' ? siluOf(u) : u;
    }
  }
}

export function causalConv1dUpdate(
  store: BufferStore,
  { convState, x, weight, bias }: KernelInputs<'CausalConv1dUpdate'>,
  { activation }: KernelAttrs<'CausalConv1dUpdate'>,
): KernelOutputs<'CausalConv1dUpdate'> {
  const [B, C, K] = convState.shape;
  const y = new Float64Array(B * C);
  const newState = new Float64Array(B * C * K);
  const biasValues = bias && store.floats(bias);
  const states = store.floats(convState);
  causalConv1dUpdateForward(
    y,
    newState,
    states,
    store.floats(x),
    store.floats(weight),
    biasValues,
    activation,
    B,
    C,
    K,
  );
  return {
    y: store.output(y, x.shape, x.dtype),
    convState: store.output(newState, convState.shape, convState.dtype),
  };
}

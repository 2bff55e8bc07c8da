/**
 * SwiGluPacked in f64: SwiGlu.ts's forward on the two halves of each row of the packed projection.
 *   gate = gateUp[r, :I],  up = gateUp[r, I:],  y[r] = up · silu(gate · gateMultiplier)
 * rounded once to the input's dtype when stored, as SwiGlu's output is.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { siluOf } from './activations.js';
import { requireFloat } from './elementwise-factories.js';

export function swiGluPacked(
  store: BufferStore,
  { gateUp }: KernelInputs<'SwiGluPacked'>,
  { gateMultiplier }: KernelAttrs<'SwiGluPacked'>,
): TensorInfo {
  requireFloat('SwiGluPacked', gateUp);
  const packed = store.floats(gateUp);
  const I = gateUp.shape[gateUp.shape.length - 1]! / 2;
  const rows = I === 0 ? 0 : packed.length / (2 * I);
  const y = new Float64Array(rows * I);
  for (let r = 0; r < rows; r++) {
    const gate = r * 2 * I;
    const up = gate + I;
    for (let i = 0; i < I; i++) y[r * I + i] = packed[up + i] * siluOf(packed[gate + i] * gateMultiplier);
  }
  return store.output(y, [...gateUp.shape.slice(0, -1), I], gateUp.dtype);
}

/**
 * SwiGlu and SwiGluGrad: Falcon-H1's MLP activation with its gate multiplier, in f64, forward and backward side by
 * side. With a = gate · gateMultiplier:
 *   y     = up · silu(a)
 *   dup   = dy · silu(a)
 *   dgate = dy · up · silu'(a) · gateMultiplier
 * Each output is rounded once to the inputs' dtype.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { siluGradOf, siluOf } from './activations.js';

export function swiGlu(
  store: BufferStore,
  { gate, up }: KernelInputs<'SwiGlu'>,
  { gateMultiplier }: KernelAttrs<'SwiGlu'>,
): TensorInfo {
  const g = store.floats(gate);
  const u = store.floats(up);
  const y = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) y[i] = u[i] * siluOf(g[i] * gateMultiplier);
  return store.output(y, gate.shape, gate.dtype);
}

export function swiGluGrad(
  store: BufferStore,
  { dy, gate, up }: KernelInputs<'SwiGluGrad'>,
  { gateMultiplier }: KernelAttrs<'SwiGluGrad'>,
): { dgate: TensorInfo; dup: TensorInfo } {
  const d = store.floats(dy);
  const g = store.floats(gate);
  const u = store.floats(up);
  const dgate = new Float64Array(g.length);
  const dup = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const a = g[i] * gateMultiplier;
    dup[i] = d[i] * siluOf(a);
    dgate[i] = d[i] * u[i] * siluGradOf(a) * gateMultiplier;
  }
  return { dgate: store.output(dgate, gate.shape, gate.dtype), dup: store.output(dup, up.shape, up.dtype) };
}

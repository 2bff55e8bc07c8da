/**
 * SwiGlu composed from primitives (transformers' FalconH1MLP activation):
 *   y = up ⊙ silu(gate · gateMultiplier)      in ≥ f32, rounded once to the inputs' dtype
 * For f32 and f64 inputs these are exactly the ops the MLP ran before the fused kernel existed.
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { mul, scale, silu } from '../ops/elementwise.js';
import { narrow, widen } from './precision.js';

export const composeSwiGlu: Composition<'SwiGlu'> = ({ gate, up }, { gateMultiplier }) =>
  tidy(() => narrow(mul(widen(up), silu(scale(widen(gate), gateMultiplier))), gate.dtype));

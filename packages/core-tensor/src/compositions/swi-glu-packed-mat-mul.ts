/**
 * SwiGluPackedMatMul composed from the two ops it fuses — what a decode step's MLP ran before the kernel existed:
 *   h = swiGluPacked(gateUp, gateMultiplier)    (the SwiGluPacked kernel, or its own composition)
 *   y = linear(h, weight)                       the bias-free down projection of the stored h
 * So a backend without the kernel computes exactly what it always did, and a tape that records the op gets exact
 * gradients through SwiGluPacked's and MatMul's.
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { swiGluPacked } from '../ops/fused/swi-glu-packed.js';
import { linear } from '../ops/matmul.js';

export const composeSwiGluPackedMatMul: Composition<'SwiGluPackedMatMul'> = ({ gateUp, weight }, { gateMultiplier }) =>
  tidy(() => linear(swiGluPacked(gateUp, gateMultiplier), weight));

/**
 * SwiGluPacked composed from what a decode step ran before the kernel existed: the packed [gate; up] projection
 * split in two along its last axis, then SwiGlu (the backend's kernel, or its own composition):
 *   gate = gateUp[..., :I],  up = gateUp[..., I:],  y = swiGlu(gate, up, gateMultiplier)
 * So a backend without the kernel computes exactly what SwiGlu computes, and a tape that records the op gets exact
 * gradients through the two Slices and SwiGlu's.
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { swiGlu } from '../ops/fused/swi-glu.js';
import { sliceAxis } from '../ops/layout.js';

export const composeSwiGluPacked: Composition<'SwiGluPacked'> = ({ gateUp }, { gateMultiplier }) =>
  tidy(() => {
    const I = gateUp.shape[gateUp.rank - 1]! / 2;
    return swiGlu(sliceAxis(gateUp, -1, 0, I), sliceAxis(gateUp, -1, I, I), gateMultiplier);
  });

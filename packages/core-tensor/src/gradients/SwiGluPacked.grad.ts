/**
 * d swiGluPacked: the composition's vjp (two Slices, then SwiGlu's own gradient). The kernel is for decoding and
 * the contract has no backward kernel; a tape that records it anyway gets exact gradients.
 */
import { composeSwiGluPacked } from '../compositions/swi-glu-packed.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';

registerGradient('SwiGluPacked', fusedGradient(composeSwiGluPacked));

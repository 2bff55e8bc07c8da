/**
 * d swiGluPackedMatMul: the composition's vjp (SwiGluPacked's gradient, then MatMul's). The kernel is for decoding
 * and the contract has no backward kernel; a tape that records it anyway gets exact gradients.
 */
import { composeSwiGluPackedMatMul } from '../compositions/swi-glu-packed-mat-mul.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';

registerGradient('SwiGluPackedMatMul', fusedGradient(composeSwiGluPackedMatMul));

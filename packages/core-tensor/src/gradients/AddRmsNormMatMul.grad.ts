/**
 * d addRmsNormMatMul (sum and y): the composition's vjp. The kernel is for decoding (inference) and the contract
 * has no backward kernel; a tape that records it anyway gets exact gradients through AddRmsNorm and MatMul.
 */
import { composeAddRmsNormMatMul } from '../compositions/add-rms-norm-mat-mul.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';

registerGradient('AddRmsNormMatMul', fusedGradient(composeAddRmsNormMatMul));

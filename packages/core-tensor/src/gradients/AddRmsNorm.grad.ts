/**
 * d addRmsNorm (sum and normed): the composition's vjp. The kernel is for decoding (inference) and the contract has
 * no backward kernel; a tape that records it anyway gets exact gradients through Add and RmsNorm.
 */
import { composeAddRmsNorm } from '../compositions/add-rms-norm.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';

registerGradient('AddRmsNorm', fusedGradient(composeAddRmsNorm));

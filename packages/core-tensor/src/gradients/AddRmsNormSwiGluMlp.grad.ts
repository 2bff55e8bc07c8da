/**
 * d addRmsNormSwiGluMlp (sum and y): the composition's vjp (through AddRmsNormMatMul's and SwiGluPackedMatMul's,
 * themselves their compositions'). The kernel is for decoding and the contract has no backward kernel; a tape that
 * records it anyway gets exact gradients.
 */
import { composeAddRmsNormSwiGluMlp } from '../compositions/add-rms-norm-swi-glu-mlp.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';

registerGradient('AddRmsNormSwiGluMlp', fusedGradient(composeAddRmsNormSwiGluMlp));

/**
 * d ssmDecodeStep (y and both next states): the composition's vjp. The kernel is for decoding (inference) and the
 * contract has no backward kernel; a tape that records it anyway gets exact gradients through the composition.
 */
import { composeSsmDecodeStep } from '../compositions/ssm-decode-step.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';

registerGradient('SsmDecodeStep', fusedGradient(composeSsmDecodeStep));

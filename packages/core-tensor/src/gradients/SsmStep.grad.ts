/** d ssmStep (y and the new state): the composition's vjp (the contract has no backward kernel). */
import { composeSsmStep } from '../compositions/ssm-scan.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';

registerGradient('SsmStep', fusedGradient(composeSsmStep));

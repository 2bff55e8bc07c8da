/**
 * Registers the gradient of every differentiable fused kernel (side effect), one `<Kernel>.grad.ts` each: the
 * backend's `<Kernel>Grad` kernel where the contract has one and the backend handles the inputs, otherwise the
 * vector-Jacobian product of core's composition (fused-dispatch.ts `fusedGradient`). Rope's gradient is Rope
 * with `inverse` flipped. AdamW and AdamWMulti update variables in place and are never recorded on a tape.
 */
import './Softmax.grad.js';
import './RmsNorm.grad.js';
import './RmsNormGated.grad.js';
import './Rope.grad.js';
import './CausalConv1d.grad.js';
import './CausalConv1dUpdate.grad.js';
import './SsmScan.grad.js';
import './SsmStep.grad.js';
import './SsmDecodeStep.grad.js';
import './AddRmsNorm.grad.js';
import './AddRmsNormMatMul.grad.js';
import './Attention.grad.js';
import './CrossEntropy.grad.js';
import './SwiGlu.grad.js';
import './SwiGluPacked.grad.js';
import './SwiGluPackedMatMul.grad.js';
import './AddRmsNormSwiGluMlp.grad.js';
import './LinearCrossEntropy.grad.js';

/** d causalConv1dUpdate (y and the new convState): the composition's vjp (the contract has no backward kernel). */
import { composeCausalConv1dUpdate } from '../compositions/causal-conv1d.js';
import { registerGradient } from '../engine.js';
import { fusedGradient } from '../fused-dispatch.js';

registerGradient('CausalConv1dUpdate', fusedGradient(composeCausalConv1dUpdate));

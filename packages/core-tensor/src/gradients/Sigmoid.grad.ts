/**
 * dσ(x) = σ(x)·σ(−x)·dy. Written with σ(−x) rather than 1 − y so that no cancellation occurs where σ saturates
 * (in bf16/f16, 1 − y loses every significant bit as y → 1; σ(−x) keeps full relative precision).
 */
import { registerGradient } from '../engine.js';
import { mul, neg, sigmoid } from '../ops/elementwise.js';
import { outputGrad, savedInput, savedOutput } from './grad-helpers.js';

registerGradient('Sigmoid', (dys, node) => {
  const y = savedOutput(node);
  return { x: mul(outputGrad(dys, node), mul(y, sigmoid(neg(savedInput(node, 'x'))))) };
});

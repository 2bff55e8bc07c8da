/**
 * d tanh x = (1 − tanh²x)·dy = 4·σ(2x)·σ(−2x)·dy. The σ form avoids 1 − y², which cancels catastrophically where
 * tanh saturates (in bf16/f16 the rounded y near ±1 leaves almost no correct bits in 1 − y²).
 */
import { registerGradient } from '../engine.js';
import { mul, scale, sigmoid } from '../ops/elementwise.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Tanh', (dys, node) => {
  const x = savedInput(node, 'x');
  const sech2 = scale(mul(sigmoid(scale(x, 2)), sigmoid(scale(x, -2))), 4);
  return { x: mul(outputGrad(dys, node), sech2) };
});

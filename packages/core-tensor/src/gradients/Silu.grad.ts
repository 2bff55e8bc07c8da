/**
 * d(x·σ(x)) = σ(x)·(1 + x·σ(−x))·dy. σ(−x) stands for 1 − σ(x) without its cancellation where σ saturates, and the
 * expression is finite for every finite x (σ underflows to exactly 0, never to NaN).
 */
import { registerGradient } from '../engine.js';
import { mul, neg, scale, sigmoid } from '../ops/elementwise.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Silu', (dys, node) => {
  const x = savedInput(node, 'x');
  const inner = scale(mul(x, sigmoid(neg(x))), 1, 1);
  return { x: mul(outputGrad(dys, node), mul(sigmoid(x), inner)) };
});

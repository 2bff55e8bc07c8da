/**
 * d(op(A)·op(B)) with op = identity or transpose of the last two axes. With C = op(A)·op(B):
 *   tA tB   dA              dB
 *   ·  ·    dC·Bᵀ           Aᵀ·dC
 *   ·  T    dC·B            dCᵀ·A
 *   T  ·    B·dCᵀ           A·dC
 *   T  T    Bᵀ·dCᵀ          dCᵀ·Aᵀ
 * Each product runs as one MatMul with transpose flags; broadcast batch dims are then summed away.
 */
import { registerGradient } from '../engine.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { matmul } from '../ops/matmul.js';
import type { Tensor } from '../tensor.js';
import { ifNeeded, outputGrad, savedInput, unbroadcast } from './grad-helpers.js';

registerGradient('MatMul', (dys, node, needs) => {
  const { transposeA, transposeB } = node.attrs as KernelAttrs<'MatMul'>;
  const dc = outputGrad(dys, node);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  const da = (): Tensor => {
    if (!transposeA) return matmul(dc, b, false, !transposeB);
    return transposeB ? matmul(b, dc, true, true) : matmul(b, dc, false, true);
  };
  const db = (): Tensor => {
    if (!transposeB) return transposeA ? matmul(a, dc, false, false) : matmul(a, dc, true, false);
    return transposeA ? matmul(dc, a, true, true) : matmul(dc, a, true, false);
  };
  return {
    a: ifNeeded(needs, 'a', () => unbroadcast(da(), a.shape)),
    b: ifNeeded(needs, 'b', () => unbroadcast(db(), b.shape)),
  };
});

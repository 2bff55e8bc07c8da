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
import { outputGrad, savedInput, unbroadcast } from './grad-helpers.js';

registerGradient('MatMul', (dys, node) => {
  const { transposeA, transposeB } = node.attrs as KernelAttrs<'MatMul'>;
  const dc = outputGrad(dys, node);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  let da: Tensor;
  let db: Tensor;
  if (!transposeA && !transposeB) {
    da = matmul(dc, b, false, true);
    db = matmul(a, dc, true, false);
  } else if (!transposeA && transposeB) {
    da = matmul(dc, b, false, false);
    db = matmul(dc, a, true, false);
  } else if (transposeA && !transposeB) {
    da = matmul(b, dc, false, true);
    db = matmul(a, dc, false, false);
  } else {
    da = matmul(b, dc, true, true);
    db = matmul(dc, a, true, true);
  }
  return { a: unbroadcast(da, a.shape), b: unbroadcast(db, b.shape) };
});

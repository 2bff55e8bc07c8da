/**
 * Batched matrix products.
 */
import { ENGINE } from '../engine.js';
import { broadcastShapes, formatShape } from '../shape-rules.js';
import type { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { reshape } from './reshape.js';

/**
 * a [..., M, K] · b [..., K, N] → [..., M, N] with optional transposes of the last two axes and broadcast batch
 * dims. Accumulates in f32 at least.
 */
export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ (${a.dtype} and ${b.dtype})`);
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`matmul needs rank ≥ 2 operands, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const ka = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  if (ka !== kb) {
    throw new Error(
      `matmul: inner dims differ: ${formatShape(a.shape)}${transposeA ? 'ᵀ' : ''} · ${formatShape(b.shape)}${transposeB ? 'ᵀ' : ''}`,
    );
  }
  broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return ENGINE.runKernel('MatMul', { a, b }, { transposeA, transposeB });
}

/** x [..., in] · weightᵀ where weight is [out, in] (PyTorch Linear layout), plus an optional bias [out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (weight.rank !== 2) throw new Error(`linear: weight must be [out, in], got ${formatShape(weight.shape)}`);
  const inner = x.shape[x.rank - 1]!;
  const y2 = matmul(reshape(x, [-1, inner]), weight, false, true);
  const y = reshape(y2, [...x.shape.slice(0, -1), weight.shape[0]!]);
  return bias ? add(y, bias) : y;
}

/** softmax over the last axis (fused kernel `Softmax`). */
import { composeSoftmax } from '../../compositions/softmax.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import type { Tensor } from '../../tensor.js';

export function softmax(x: Tensor): Tensor {
  if (!isFloatDType(x.dtype)) throw new Error(`softmax needs a float tensor, got ${x.dtype}`);
  if (x.rank < 1) throw new Error('softmax needs rank ≥ 1');
  return runFused('Softmax', { x }, {}, composeSoftmax);
}

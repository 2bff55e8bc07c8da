/**
 * Per-row cross-entropy composed from primitives, in ≥ f32. logits [R, V], labels i32 [R]:
 *   loss[r] = logsumexp(logits[r]) − logits[r, label[r]]      (0 where label[r] = ignoreIndex)
 * logsumexp subtracts the row max (a constant shift, kept off the tape); the label's logit is picked with a
 * one-hot mask (labels compared with 0…V−1), so a label outside [0, V) picks nothing.
 */
import { noGrad, tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { arange, fill, scalar } from '../ops/create.js';
import { add, equal, exp, log, notEqual, sub, where } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { reshape } from '../ops/reshape.js';
import { computeDType, widen } from './precision.js';

export const composeCrossEntropy: Composition<'CrossEntropy'> = ({ logits, labels }, { ignoreIndex }) =>
  tidy(() => {
    const [rows, vocab] = logits.shape as [number, number];
    const dtype = computeDType(logits.dtype);
    const zero = fill([], 0, dtype, logits.backend);
    const x = widen(logits);
    const shift = noGrad(() => max(x, -1, true)); // [R, 1]
    const logSumExp = add(log(sum(exp(sub(x, shift)), -1)), reshape(shift, [rows]));
    const oneHot = equal(reshape(labels, [rows, 1]), reshape(arange(0, vocab, 'i32', logits.backend), [1, vocab]));
    const labelLogit = sum(where(oneHot, x, zero), -1);
    const counted = notEqual(labels, scalar(ignoreIndex, 'i32', logits.backend));
    return where(counted, sub(logSumExp, labelLogit), zero);
  });

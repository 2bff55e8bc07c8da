/**
 * The causal language-modelling loss of transformers' `ForCausalLMLoss`: the mean, over every position whose next
 * label is not ignored, of the cross-entropy between the logits at t and the label at t + 1 (labels shift inside,
 * as in transformers; −100 is ignored). With document ids, the pair (t, t + 1) also counts only when both tokens
 * belong to the same document: a packed row never learns to predict one document from the end of another.
 */
import {
  cast,
  crossEntropy,
  div,
  equal,
  fill,
  notEqual,
  reshape,
  sliceAxis,
  sum,
  type Tensor,
  where,
} from '@falcon-h1/core-tensor';

export const IGNORE_INDEX = -100;

/** logits [B, T, V], labels i32 [B, T] (the input ids, unshifted), seqIdx i32 [B, T]? → scalar f32 (f64 for f64). */
export function causalLmLoss(logits: Tensor, labels: Tensor, seqIdx?: Tensor): Tensor {
  const [b, t, v] = logits.shape as [number, number, number];
  if (labels.dtype !== 'i32' || labels.shape[0] !== b || labels.shape[1] !== t) {
    throw new Error(`causalLmLoss: labels must be i32[${b}, ${t}], got ${labels.dtype}[${labels.shape.join(', ')}]`);
  }
  if (t < 2) throw new Error('causalLmLoss: a sequence of at least 2 tokens is needed to predict a next token');
  let next = sliceAxis(labels, 1, 1, t - 1); // the label of position t is token t + 1
  if (seqIdx) {
    const sameDocument = equal(sliceAxis(seqIdx, 1, 1, t - 1), sliceAxis(seqIdx, 1, 0, t - 1));
    next = where(sameDocument, next, fill([], IGNORE_INDEX, 'i32', labels.backend));
  }
  const rows = reshape(next, [b * (t - 1)]);
  const losses = crossEntropy(reshape(sliceAxis(logits, 1, 0, t - 1), [b * (t - 1), v]), rows, IGNORE_INDEX);
  const counted = sum(cast(notEqual(rows, fill([], IGNORE_INDEX, 'i32', labels.backend)), losses.dtype));
  return div(sum(losses), counted);
}

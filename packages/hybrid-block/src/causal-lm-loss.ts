/**
 * The causal language-modelling loss of transformers' `ForCausalLMLoss`: the mean, over every position whose next
 * label is not ignored, of the cross-entropy between the logits at t and the label at t + 1 (labels shift inside,
 * as in transformers; −100 is ignored). With document ids, the pair (t, t + 1) also counts only when both tokens
 * belong to the same document: a packed row never learns to predict one document from the end of another.
 *
 * Two entry points compute the same value: `causalLmLoss` from logits, and `causalLmHeadLoss` from the last hidden
 * states and the LM head through the fused `linearCrossEntropy`, which never stores the [B·(T−1), V] logits on a
 * backend with that kernel (the training path: the logits are the largest activation of a step).
 */
import {
  cast,
  crossEntropy,
  div,
  equal,
  fill,
  linearCrossEntropy,
  notEqual,
  reshape,
  sliceAxis,
  sum,
  type Tensor,
  where,
} from '@falcon-h1/core-tensor';

export const IGNORE_INDEX = -100;

/** The label of each position but the last, flattened to [B·(T−1)]: token t + 1, ignored across a document boundary. */
function nextTokenLabels(what: string, labels: Tensor, b: number, t: number, seqIdx?: Tensor): Tensor {
  if (labels.dtype !== 'i32' || labels.shape[0] !== b || labels.shape[1] !== t) {
    throw new Error(`${what}: labels must be i32[${b}, ${t}], got ${labels.dtype}[${labels.shape.join(', ')}]`);
  }
  if (t < 2) throw new Error(`${what}: a sequence of at least 2 tokens is needed to predict a next token`);
  let next = sliceAxis(labels, 1, 1, t - 1); // the label of position t is token t + 1
  if (seqIdx) {
    const sameDocument = equal(sliceAxis(seqIdx, 1, 1, t - 1), sliceAxis(seqIdx, 1, 0, t - 1));
    next = where(sameDocument, next, fill([], IGNORE_INDEX, 'i32', labels.backend));
  }
  return reshape(next, [b * (t - 1)]);
}

/** The mean of the per-row losses over the rows whose label is not ignored. */
function meanOverCounted(losses: Tensor, rows: Tensor): Tensor {
  const counted = sum(cast(notEqual(rows, fill([], IGNORE_INDEX, 'i32', rows.backend)), losses.dtype));
  return div(sum(losses), counted);
}

/** logits [B, T, V], labels i32 [B, T] (the input ids, unshifted), seqIdx i32 [B, T]? → scalar f32 (f64 for f64). */
export function causalLmLoss(logits: Tensor, labels: Tensor, seqIdx?: Tensor): Tensor {
  const [b, t, v] = logits.shape as [number, number, number];
  const rows = nextTokenLabels('causalLmLoss', labels, b, t, seqIdx);
  const losses = crossEntropy(reshape(sliceAxis(logits, 1, 0, t - 1), [b * (t - 1), v]), rows, IGNORE_INDEX);
  return meanOverCounted(losses, rows);
}

/**
 * The same loss from hidden [B, T, D] (the final norm's output) and the LM head weight [V, D] with its multiplier
 * (logits = multiplier · hidden · headᵀ), through the fused LinearCrossEntropy kernel.
 */
export function causalLmHeadLoss(
  hidden: Tensor,
  headWeight: Tensor,
  multiplier: number,
  labels: Tensor,
  seqIdx?: Tensor,
): Tensor {
  const [b, t, d] = hidden.shape as [number, number, number];
  const rows = nextTokenLabels('causalLmHeadLoss', labels, b, t, seqIdx);
  const inputs = reshape(sliceAxis(hidden, 1, 0, t - 1), [b * (t - 1), d]);
  const losses = linearCrossEntropy(inputs, headWeight, rows, { scale: multiplier, ignoreIndex: IGNORE_INDEX });
  return meanOverCounted(losses, rows);
}

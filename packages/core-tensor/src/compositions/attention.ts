/**
 * Grouped-query scaled-dot-product attention composed from primitives, in ≥ f32.
 * q [B, T, Hq, Dh], k [B, S, Hkv, Dh], v [B, S, Hkv, Dv]; r = Hq/Hkv query heads share each KV head, so q is
 * laid out [B, Hkv, r, T, Dh] and k, v [B, Hkv, 1, S, ·], and the matmuls broadcast the KV head over its r
 * query heads. Query i sits at key position i + S − T.
 *   logits = scale · q·kᵀ                           [B, Hkv, r, T, S]
 *   visible(i, j) = (not causal or j ≤ i + S − T) and (no seq ids or qSeqIdx_i = kSeqIdx_j)
 *   p = softmax(visible ? logits : −1e30) ⊙ any_j visible(i, j)
 *   out = p · v                                     → [B, T, Hq, Dv]
 * Masked logits get a large finite negative rather than −∞: a row with no visible key then softmaxes to a
 * finite uniform row (no NaN, in the values or the gradients), which the "any visible key" factor zeroes.
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { fill, tensor } from '../ops/create.js';
import { equal, greater, mul, scale as scaleBy, where } from '../ops/elementwise.js';
import { softmax } from '../ops/fused/softmax.js';
import { cast, transpose } from '../ops/layout.js';
import { matmul } from '../ops/matmul.js';
import { max } from '../ops/reduce.js';
import { reshape } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';
import { computeDType, narrow, widen } from './precision.js';

/** The logit of an invisible key: exp of it minus any real logit is 0, and it stays finite. */
const MASKED_LOGIT = -1e30;

/** The visibility mask [B or 1, 1, 1, T, S] as 0/1 in `dtype`, or undefined when every key is visible. */
function visibility(
  b: number,
  t: number,
  s: number,
  dtype: 'f32' | 'f64',
  causal: boolean,
  q: Tensor,
  qSeqIdx?: Tensor,
  kSeqIdx?: Tensor,
): Tensor | undefined {
  let mask: Tensor | undefined;
  if (causal) {
    // Depends only on shapes: built on the host.
    const values = new Array<number>(t * s);
    for (let i = 0; i < t; i++) for (let j = 0; j < s; j++) values[i * s + j] = j <= i + s - t ? 1 : 0;
    mask = tensor(values, [1, 1, 1, t, s], dtype, q.backend);
  }
  if (qSeqIdx && kSeqIdx) {
    const sameDocument = equal(reshape(qSeqIdx, [b, 1, 1, t, 1]), reshape(kSeqIdx, [b, 1, 1, 1, s]));
    const documents = cast(sameDocument, dtype);
    mask = mask ? mul(mask, documents) : documents;
  }
  return mask;
}

export const composeAttention: Composition<'Attention'> = ({ q, k, v, qSeqIdx, kSeqIdx }, { scale, causal }) =>
  tidy(() => {
    const [b, t, hq, dh] = q.shape as [number, number, number, number];
    const [, s, hkv] = k.shape as [number, number, number, number];
    const dv = v.shape[3]!;
    const r = hq / hkv;
    const dtype = computeDType(q.dtype);
    const qh = transpose(reshape(widen(q), [b, t, hkv, r, dh]), [0, 2, 3, 1, 4]); // [B, Hkv, r, T, Dh]
    const kh = reshape(transpose(widen(k), [0, 2, 1, 3]), [b, hkv, 1, s, dh]); // [B, Hkv, 1, S, Dh]
    const vh = reshape(transpose(widen(v), [0, 2, 1, 3]), [b, hkv, 1, s, dv]); // [B, Hkv, 1, S, Dv]
    const logits = scaleBy(matmul(qh, kh, false, true), scale); // [B, Hkv, r, T, S]
    const mask = visibility(b, t, s, dtype, causal, q, qSeqIdx, kSeqIdx);
    let p: Tensor;
    if (mask) {
      const masked = where(
        greater(mask, fill([], 0, dtype, q.backend)),
        logits,
        fill([], MASKED_LOGIT, dtype, q.backend),
      );
      p = mul(softmax(masked), max(mask, -1, true));
    } else {
      p = softmax(logits);
    }
    const out = matmul(p, vh); // [B, Hkv, r, T, Dv]
    return narrow(reshape(transpose(out, [0, 3, 1, 2, 4]), [b, t, hq, dv]), q.dtype);
  });

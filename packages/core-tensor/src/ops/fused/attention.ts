/** Grouped-query scaled-dot-product attention (fused kernel `Attention`). */
import { composeAttention } from '../../compositions/attention.js';
import { isFloatDType } from '../../dtype.js';
import { runFused } from '../../fused-dispatch.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';

export interface AttentionOptions {
  /** Defaults to 1/√Dh. */
  scale?: number;
  /** Defaults to true. Queries are the last T of the S key positions. */
  causal?: boolean;
  /** i32 [B, T] document ids of the queries (with kSeqIdx: block-diagonal masking). */
  qSeqIdx?: Tensor;
  /** i32 [B, S] document ids of the keys. */
  kSeqIdx?: Tensor;
}

/** q [B, T, Hq, Dh], k [B, S, Hkv, Dh], v [B, S, Hkv, Dv] → [B, T, Hq, Dv]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  if (!isFloatDType(q.dtype) || q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(
      `attention: q, k, v must be float rank-4 tensors, got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`,
    );
  }
  const [b, t, hq, dh] = q.shape as [number, number, number, number];
  const [kb, s, hkv, kdh] = k.shape as [number, number, number, number];
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) throw new Error('attention: q, k and v must share one dtype');
  if (kb !== b || kdh !== dh || v.shape[0] !== b || v.shape[1] !== s || v.shape[2] !== hkv) {
    throw new Error(
      `attention: shapes do not agree: q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`,
    );
  }
  if (hkv <= 0 || hq % hkv !== 0) throw new Error(`attention: ${hq} query heads cannot share ${hkv} KV heads`);
  const causal = options.causal ?? true;
  if (causal && t > s) throw new Error(`attention: causal with more queries (${t}) than keys (${s})`);
  const { qSeqIdx, kSeqIdx } = options;
  if ((qSeqIdx === undefined) !== (kSeqIdx === undefined))
    throw new Error('attention: give both qSeqIdx and kSeqIdx, or neither');
  if (qSeqIdx && (qSeqIdx.dtype !== 'i32' || formatShape(qSeqIdx.shape) !== formatShape([b, t]))) {
    throw new Error(`attention: qSeqIdx must be i32[${b}, ${t}], got ${qSeqIdx.dtype}${formatShape(qSeqIdx.shape)}`);
  }
  if (kSeqIdx && (kSeqIdx.dtype !== 'i32' || formatShape(kSeqIdx.shape) !== formatShape([b, s]))) {
    throw new Error(`attention: kSeqIdx must be i32[${b}, ${s}], got ${kSeqIdx.dtype}${formatShape(kSeqIdx.shape)}`);
  }
  const scale = options.scale ?? 1 / Math.sqrt(dh);
  return runFused('Attention', { q, k, v, qSeqIdx, kSeqIdx }, { scale, causal }, composeAttention);
}

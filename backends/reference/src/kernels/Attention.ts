/**
 * Attention and AttentionGrad: grouped-query scaled-dot-product attention, in f64.
 *   q [B, T, Hq, Dh], k [B, S, Hkv, Dh], v [B, S, Hkv, Dv]; query head h uses KV head g = floor(h / (Hq/Hkv)).
 *   Query i sits at key position i + (S − T). Key j is visible to query i iff
 *     (not causal or j ≤ i + S − T) and (no seq ids or qSeqIdx[b,i] = kSeqIdx[b,j]).
 *   p_j       = softmax_j(scale · q_i · k_j)  over the visible j
 *   out[b,i,h] = Σ_j p_j · v_j                 (zeros when no key is visible)
 * Backward, per query row (b, i, h), recomputing p:
 *   dv_j += p_j · dy_i;   dp_j = dy_i · v_j;   ds_j = p_j · (dp_j − Σ_j' p_j' dp_j')
 *   dq_i += scale · Σ_j ds_j · k_j;   dk_j += scale · ds_j · q_i      (dk, dv summed over the heads of a group)
 */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

export interface AttentionArrays {
  q: Float64Array; // [B, T, Hq, Dh]
  k: Float64Array; // [B, S, Hkv, Dh]
  v: Float64Array; // [B, S, Hkv, Dv]
  qSeqIdx?: Int32Array; // [B, T]
  kSeqIdx?: Int32Array; // [B, S]
}

export interface AttentionDims {
  B: number;
  T: number;
  S: number;
  Hq: number;
  Hkv: number;
  Dh: number;
  Dv: number;
}

export interface AttentionOptions {
  scale: number;
  causal: boolean;
}

/**
 * The attention weights of query row (b, i, h) into `p` [S] (0 for invisible keys); returns false when no key is
 * visible (then p is all zeros).
 */
function attentionWeights(
  p: Float64Array,
  inp: AttentionArrays,
  b: number,
  i: number,
  h: number,
  { scale, causal }: AttentionOptions,
  { T, S, Hq, Hkv, Dh }: AttentionDims,
): boolean {
  const g = Math.floor(h / (Hq / Hkv));
  const qBase = ((b * T + i) * Hq + h) * Dh;
  const lastVisible = causal ? i + S - T : S - 1;
  let max = Number.NEGATIVE_INFINITY;
  const visible = (j: number) =>
    j <= lastVisible && (inp.qSeqIdx === undefined || inp.qSeqIdx[b * T + i] === inp.kSeqIdx![b * S + j]);
  for (let j = 0; j < S; j++) {
    if (!visible(j)) {
      p[j] = Number.NEGATIVE_INFINITY;
      continue;
    }
    const kBase = ((b * S + j) * Hkv + g) * Dh;
    let dot = 0;
    for (let d = 0; d < Dh; d++) dot += inp.q[qBase + d] * inp.k[kBase + d];
    p[j] = scale * dot;
    max = Math.max(max, p[j]);
  }
  if (max === Number.NEGATIVE_INFINITY) {
    p.fill(0);
    return false;
  }
  let sum = 0;
  for (let j = 0; j < S; j++) {
    p[j] = p[j] === Number.NEGATIVE_INFINITY ? 0 : Math.exp(p[j] - max);
    sum += p[j];
  }
  for (let j = 0; j < S; j++) p[j] /= sum;
  return true;
}

/** out [B, T, Hq, Dv] ← attention(q, k, v). */
export function attentionForward(
  out: Float64Array,
  inp: AttentionArrays,
  options: AttentionOptions,
  dims: AttentionDims,
): void {
  const { B, T, S, Hq, Hkv, Dv } = dims;
  const p = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      for (let h = 0; h < Hq; h++) {
        const g = Math.floor(h / (Hq / Hkv));
        const outBase = ((b * T + i) * Hq + h) * Dv;
        if (!attentionWeights(p, inp, b, i, h, options, dims)) continue; // no visible key: stays 0
        for (let j = 0; j < S; j++) {
          if (p[j] === 0) continue;
          const vBase = ((b * S + j) * Hkv + g) * Dv;
          for (let d = 0; d < Dv; d++) out[outBase + d] += p[j] * inp.v[vBase + d];
        }
      }
    }
  }
}

/** Accumulates dq, dk, dv (zeroed, shapes of q, k, v) given dy [B, T, Hq, Dv]. */
export function attentionBackward(
  dq: Float64Array,
  dk: Float64Array,
  dv: Float64Array,
  dy: Float64Array,
  inp: AttentionArrays,
  options: AttentionOptions,
  dims: AttentionDims,
): void {
  const { B, T, S, Hq, Hkv, Dh, Dv } = dims;
  const p = new Float64Array(S);
  const dp = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      for (let h = 0; h < Hq; h++) {
        if (!attentionWeights(p, inp, b, i, h, options, dims)) continue; // output was constant 0
        const g = Math.floor(h / (Hq / Hkv));
        const qBase = ((b * T + i) * Hq + h) * Dh;
        const dyBase = ((b * T + i) * Hq + h) * Dv;
        let pDotDp = 0;
        for (let j = 0; j < S; j++) {
          const vBase = ((b * S + j) * Hkv + g) * Dv;
          dp[j] = 0;
          for (let d = 0; d < Dv; d++) {
            dp[j] += dy[dyBase + d] * inp.v[vBase + d];
            dv[vBase + d] += p[j] * dy[dyBase + d];
          }
          pDotDp += p[j] * dp[j];
        }
        for (let j = 0; j < S; j++) {
          const ds = p[j] * (dp[j] - pDotDp);
          if (ds === 0) continue;
          const kBase = ((b * S + j) * Hkv + g) * Dh;
          for (let d = 0; d < Dh; d++) {
            dq[qBase + d] += options.scale * ds * inp.k[kBase + d];
            dk[kBase + d] += options.scale * ds * inp.q[qBase + d];
          }
        }
      }
    }
  }
}

function arraysOf(
  store: BufferStore,
  { q, k, v, qSeqIdx, kSeqIdx }: KernelInputs<'Attention'>,
): [AttentionArrays, AttentionDims] {
  if ((qSeqIdx === undefined) !== (kSeqIdx === undefined)) {
    throw new Error('Attention: qSeqIdx and kSeqIdx must be given together');
  }
  const [B, T, Hq, Dh] = q.shape;
  const [, S, Hkv, Dv] = v.shape;
  if (Hq % Hkv !== 0) throw new Error(`Attention: query heads (${Hq}) must be divisible by KV heads (${Hkv})`);
  const inp: AttentionArrays = {
    q: store.floats(q),
    k: store.floats(k),
    v: store.floats(v),
    qSeqIdx: qSeqIdx && store.ints(qSeqIdx),
    kSeqIdx: kSeqIdx && store.ints(kSeqIdx),
  };
  return [inp, { B, T, S, Hq, Hkv, Dh, Dv }];
}

export function attention(
  store: BufferStore,
  inputs: KernelInputs<'Attention'>,
  attrs: KernelAttrs<'Attention'>,
): TensorInfo {
  const [inp, dims] = arraysOf(store, inputs);
  const { B, T, Hq, Dv } = dims;
  const out = new Float64Array(B * T * Hq * Dv);
  attentionForward(out, inp, attrs, dims);
  return store.output(out, [B, T, Hq, Dv], inputs.q.dtype);
}

export function attentionGrad(
  store: BufferStore,
  inputs: KernelInputs<'AttentionGrad'>,
  attrs: KernelAttrs<'AttentionGrad'>,
): KernelOutputs<'AttentionGrad'> {
  const { dy, q, k, v } = inputs;
  const [inp, dims] = arraysOf(store, inputs);
  const dq = new Float64Array(inp.q.length);
  const dk = new Float64Array(inp.k.length);
  const dv = new Float64Array(inp.v.length);
  attentionBackward(dq, dk, dv, store.floats(dy), inp, attrs, dims);
  return {
    dq: store.output(dq, q.shape, q.dtype),
    dk: store.output(dk, k.shape, k.dtype),
    dv: store.output(dv, v.shape, v.dtype),
  };
}

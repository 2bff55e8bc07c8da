/**
 * AttentionDecodeStep: one decode step of attention over a static KV cache, in f64 — the new token's q and k roped,
 * its k and v written into the cache IN PLACE (like CacheWrite), then the query's attention over every slot:
 *   qkv [B, W] → q [Hq, Dh], k, v [Hkv, Dh] per row from column `offset`;  q, k = Rope(·) at positions[b]
 *   keys[b, slots[b]] = k, values[b, slots[b]] = v      (no write where the slot is outside [0, L))
 *   o[b] = Attention(q, keys[b], values[b]) over the L slots, slot j visible iff kSeqIdx[b, j] = qSeqIdx[b]
 *   out[b] = [prefix[b] | o[b]]       (the prefix's C columns copied as they are; o alone without a prefix)
 * The roped q and k are rounded to the dtype, as the composition (Rope, then CacheWrite and Attention) stores them.
 * The attention reads the cache after the write, so the new slot holds exactly the key it attends to.
 */
import {
  type FloatDType,
  type KernelAttrs,
  type KernelInputs,
  roundToDType,
  type TensorInfo,
} from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { attentionForward } from './Attention.js';
import { ropeForward } from './Rope.js';

export function attentionDecodeStep(
  store: BufferStore,
  { qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix }: KernelInputs<'AttentionDecodeStep'>,
  { heads: Hq, kvHeads: Hkv, theta, scale, offset }: KernelAttrs<'AttentionDecodeStep'>,
): TensorInfo {
  const [B, L, , Dh] = keys.shape as [number, number, number, number];
  const dtype = qkv.dtype as FloatDType;
  // Row b's q|k|v begin at column `offset` of a row of W ≥ offset + (Hq + 2·Hkv)·Dh columns.
  const packed = store.floats(qkv).subarray(offset);
  const width = qkv.shape[1]!;
  // The three parts of every row, each [B, H, Dh] contiguous.
  const part = (begin: number, h: number): Float64Array => {
    const out = new Float64Array(B * h * Dh);
    for (let b = 0; b < B; b++) out.set(packed.subarray(b * width + begin, b * width + begin + h * Dh), b * h * Dh);
    return out;
  };
  const pos = store.ints(positions);
  const roped = (x: Float64Array, h: number): Float64Array => {
    const y = new Float64Array(x.length);
    ropeForward(y, x, pos, theta, false, B, h, Dh);
    for (let i = 0; i < y.length; i++) y[i] = roundToDType(y[i]!, dtype);
    return y;
  };
  const q = roped(part(0, Hq), Hq);
  const k = roped(part(Hq * Dh, Hkv), Hkv);
  const v = part((Hq + Hkv) * Dh, Hkv);
  const keyCache = store.floats(keys);
  const valueCache = store.floats(values);
  const slot = store.ints(slots);
  const row = Hkv * Dh;
  for (let b = 0; b < B; b++) {
    const s = slot[slot.length === 1 ? 0 : b]!;
    if (s < 0 || s >= L) continue;
    keyCache.set(k.subarray(b * row, (b + 1) * row), (b * L + s) * row);
    valueCache.set(v.subarray(b * row, (b + 1) * row), (b * L + s) * row);
  }
  const out = new Float64Array(B * Hq * Dh);
  attentionForward(
    out,
    { q, k: keyCache, v: valueCache, qSeqIdx: store.ints(qSeqIdx), kSeqIdx: store.ints(kSeqIdx) },
    { scale, causal: true },
    { B, T: 1, S: L, Hq, Hkv, Dh, Dv: Dh },
  );
  if (!prefix) return store.output(out, [B, Hq * Dh], dtype);
  const C = prefix.shape[1]!;
  const front = store.floats(prefix);
  const joined = new Float64Array(B * (C + Hq * Dh));
  for (let b = 0; b < B; b++) {
    joined.set(front.subarray(b * C, (b + 1) * C), b * (C + Hq * Dh));
    joined.set(out.subarray(b * Hq * Dh, (b + 1) * Hq * Dh), b * (C + Hq * Dh) + C);
  }
  return store.output(joined, [B, C + Hq * Dh], dtype);
}

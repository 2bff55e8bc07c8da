/**
 * One decode step of attention over a static KV cache (fused kernel `AttentionDecodeStep`) composed from the ops it
 * fuses — exactly what the attention module ran before the kernel existed, so backends without it compute what they
 * always did:
 *   q, k, v = slices of the packed projection qkv [B, W] from column `offset`: (Hq + 2·Hkv)·Dh columns
 *   q, k    = rope(q), rope(k) at the new token's positions
 *   keys[b, slot], values[b, slot] = k, v            cacheWrite: in place, rows with a slot outside [0, L) untouched
 *   o       = attention(q, keys, values) over all L slots, the query last (causal hides no slot), masked by document
 *   out     = concat([prefix, o]) when a prefix comes, o otherwise
 */
import type { KernelAttrs } from '../kernel-contract.js';
import { attention } from '../ops/fused/attention.js';
import type { AttentionDecodeStepInputs } from '../ops/fused/attention-decode-step.js';
import { cacheWrite } from '../ops/fused/cache-write.js';
import { rope } from '../ops/fused/rope.js';
import { concat, sliceAxis } from '../ops/layout.js';
import { reshape } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';

/** The step's output [B, C + Hq·Dh]; writes keys and values in place. The caller runs it under `tidy`. */
export function composeAttentionDecodeStep(
  { qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix }: AttentionDecodeStepInputs,
  { heads, kvHeads, theta, scale, offset }: KernelAttrs<'AttentionDecodeStep'>,
): Tensor {
  const b = qkv.shape[0]!;
  const dh = keys.shape[3]!;
  const column = reshape(positions, [b, 1]);
  const part = (begin: number, count: number): Tensor =>
    reshape(sliceAxis(qkv, 1, offset + begin * dh, count * dh), [b, 1, count, dh]);
  const q = rope(part(0, heads), column, theta);
  const k = rope(part(heads, kvHeads), column, theta);
  cacheWrite(keys, k, slots);
  cacheWrite(values, part(heads + kvHeads, kvHeads), slots);
  const o = attention(q, keys, values, { scale, causal: true, qSeqIdx: reshape(qSeqIdx, [b, 1]), kSeqIdx });
  const heads2d = reshape(o, [b, heads * dh]);
  return prefix ? concat([prefix, heads2d], 1) : heads2d;
}

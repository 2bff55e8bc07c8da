/**
 * AttentionDecodeStep (native/kernels/attention_decode_step.cu): RoPE of the new token's q and k, the write of its
 * k and v into the static cache (in place) and the split-K attention over every slot, in one launch. Tables the
 * kernel reads are backend constants, made on the first (eager) step so a captured step uploads nothing: the Rope
 * kernel's inverse frequencies (the same f32 angles) and B·Hkv zeroed 32-bit words, the chunk tickets of the
 * last-block merge (an f32 constant of zeros is, bit for bit, zeroed u32 words; every launch leaves them zeroed).
 */
import { type KernelAttrs, type KernelInputs, sizeOf, type TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';
import { inverseFrequencies } from './Rope.js';

/** Query heads per KV head the kernel takes (kAttnDecodeStepMaxGroup). */
const MAX_GROUP = 16;
const MAX_HEAD_DIM = 256;
const TILE = 32;

export function attentionDecodeStep(
  backend: CudaBackend,
  { qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix }: KernelInputs<'AttentionDecodeStep'>,
  { heads, kvHeads, theta, scale, offset }: KernelAttrs<'AttentionDecodeStep'>,
): TensorInfo {
  const [B, L, , Dh] = keys.shape as [number, number, number, number];
  // [prefix | o]: the prefix's row is copied in front of o by the kernel (no Concat launch after it).
  const prefixWidth = prefix ? prefix.shape[1]! : 0;
  const out = backend.output([B, prefixWidth + heads * Dh], qkv.dtype);
  const { freq, tickets } = decodeStepTables(backend, theta, Dh, B, kvHeads);
  backend.ctx.AttentionDecodeStep(
    backend.id(out),
    backend.id(keys),
    backend.id(values),
    backend.id(qkv),
    backend.id(positions),
    backend.id(slots),
    backend.id(qSeqIdx),
    backend.id(kSeqIdx),
    backend.id(freq),
    backend.id(tickets),
    backend.code(qkv.dtype),
    B,
    L,
    heads,
    kvHeads,
    Dh,
    scale,
    sizeOf(slots.shape) === 1,
    backend.idOpt(prefix),
    prefixWidth,
    qkv.shape[1]!,
    offset,
  );
  return out;
}

/** The kernel's device tables: the Rope inverse frequencies and the B·Hkv zeroed chunk tickets (backend constants). */
export function decodeStepTables(
  backend: CudaBackend,
  theta: number,
  Dh: number,
  B: number,
  kvHeads: number,
): { freq: TensorInfo; tickets: TensorInfo } {
  return {
    freq: backend.constant(`rope:${theta}:${Dh}`, () => inverseFrequencies(theta, Dh)),
    tickets: backend.constant(`attention-decode-step:tickets:${B * kvHeads}`, () => new Float32Array(B * kvHeads)),
  };
}

/** The kernel's limits: ≤ 16 query heads per KV head, head dim ≤ 256, its tiles in the device's shared memory. */
export function attentionDecodeStepSupport(
  { keys }: KernelInputs<'AttentionDecodeStep'>,
  { heads, kvHeads }: KernelAttrs<'AttentionDecodeStep'>,
  maxSharedBytes: number,
): true | string {
  const [B, , , Dh] = keys.shape as [number, number, number, number];
  const group = heads / kvHeads;
  if (group > MAX_GROUP) return `at most ${MAX_GROUP} query heads per KV head, got ${group}`;
  if (Dh > MAX_HEAD_DIM) return `head dim must be ≤ ${MAX_HEAD_DIM}, got ${Dh}`;
  if (B > 65535 || kvHeads > 65535) return `at most 65535 rows and KV heads, got ${B} and ${kvHeads}`;
  if ((group * Dh + 2 * TILE * (Dh + 1) + 2 * Dh) * 4 > maxSharedBytes)
    return `head dim ${Dh} with ${group} query heads per KV head needs more shared memory than the device has`;
  return true;
}

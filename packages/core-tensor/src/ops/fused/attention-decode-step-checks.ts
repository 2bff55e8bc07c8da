/**
 * The input rules of attentionDecodeStep, shared with parallelMixersDecodeStep (whose attention half is the same
 * step): the sizes come from the cache (B, L, Hkv, Dh from keys) and the attrs (Hq, Hkv), the packed projection must
 * be [B, W ≥ offset + (Hq + 2·Hkv)·Dh] in the cache's dtype, positions and document ids i32 of their shapes, slots
 * i32 [B] or [1], the prefix [B, C] in qkv's dtype, keys and values Variables. Each refusal names the input and the
 * shape it wants.
 */
import { isFloatDType } from '../../dtype.js';
import type { KernelAttrs } from '../../kernel-contract.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor } from '../../tensor.js';
import type { AttentionDecodeStepInputs, AttentionDecodeStepOptions } from './attention-decode-step.js';
import { checkColumnOffset, checkWrittenInPlace } from './in-place-checks.js';

/** Validates one attention decode step's inputs and returns AttentionDecodeStep's attrs (scale defaults to 1/√Dh). */
export function checkAttentionDecodeStep(
  where: string,
  { qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix }: AttentionDecodeStepInputs,
  options: AttentionDecodeStepOptions,
): KernelAttrs<'AttentionDecodeStep'> {
  const { heads, kvHeads, theta } = options;
  const offset = checkColumnOffset(where, options.offset);
  if (!Number.isInteger(heads) || !Number.isInteger(kvHeads) || kvHeads <= 0 || heads % kvHeads !== 0) {
    throw new Error(`${where}: ${heads} query heads cannot share ${kvHeads} KV heads`);
  }
  checkWrittenInPlace(where, { keys, values });
  if (keys.rank !== 4 || keys.shape[2] !== kvHeads || keys.shape[3]! % 2 !== 0) {
    throw new Error(`${where}: keys must be [B, L, ${kvHeads}, Dh] with even Dh, got ${formatShape(keys.shape)}`);
  }
  const [b, l, , dh] = keys.shape as [number, number, number, number];
  if (formatShape(values.shape) !== formatShape(keys.shape)) {
    throw new Error(`${where}: values ${formatShape(values.shape)} must match keys ${formatShape(keys.shape)}`);
  }
  const width = (heads + 2 * kvHeads) * dh;
  if (!isFloatDType(qkv.dtype) || qkv.rank !== 2 || qkv.shape[0] !== b || qkv.shape[1]! < offset + width) {
    throw new Error(
      `${where}: qkv must be a float [${b}, W] with W ≥ offset + (${heads} + 2·${kvHeads}) heads of ${dh} = ${offset} + ${width}, got ${qkv.dtype}${formatShape(qkv.shape)}`,
    );
  }
  if (keys.dtype !== qkv.dtype || values.dtype !== qkv.dtype) {
    throw new Error(`${where}: qkv is ${qkv.dtype}, keys ${keys.dtype}, values ${values.dtype}: one dtype`);
  }
  const ints: Array<[string, Tensor, number[]]> = [
    ['positions', positions, [b]],
    ['qSeqIdx', qSeqIdx, [b]],
    ['kSeqIdx', kSeqIdx, [b, l]],
  ];
  for (const [name, t, shape] of ints) {
    if (t.dtype !== 'i32' || formatShape(t.shape) !== formatShape(shape)) {
      throw new Error(`${where}: ${name} must be i32${formatShape(shape)}, got ${t.dtype}${formatShape(t.shape)}`);
    }
  }
  if (slots.dtype !== 'i32' || slots.rank !== 1 || (slots.shape[0] !== b && slots.shape[0] !== 1)) {
    throw new Error(`${where}: slots must be i32 [${b}] or [1], got ${slots.dtype}${formatShape(slots.shape)}`);
  }
  if (prefix && (prefix.dtype !== qkv.dtype || prefix.rank !== 2 || prefix.shape[0] !== b || prefix.shape[1]! < 1)) {
    throw new Error(
      `${where}: prefix must be ${qkv.dtype} [${b}, C] with C ≥ 1 (qkv's dtype and rows), got ${prefix.dtype}${formatShape(prefix.shape)}`,
    );
  }
  if (!(theta > 0)) throw new Error(`${where}: theta must be > 0, got ${theta}`);
  return { heads, kvHeads, theta, scale: options.scale ?? 1 / Math.sqrt(dh), offset };
}

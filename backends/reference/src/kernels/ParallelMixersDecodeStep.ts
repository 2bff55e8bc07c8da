/**
 * ParallelMixersDecodeStep: Falcon-H1's parallel mixers' decode step — exactly this backend's SsmDecodeStepInPlace
 * (gate 'silu', the SSM's columns at ssmOffset of qkv; conv and SSM states written in place) followed by its
 * AttentionDecodeStep (q|k|v at attentionOffset, the KV cache written in place, prefix = the SSM's y), so the oracle
 * is the two kernels' composition by construction. Returns [y | o] [B, dSsm + Hq·Dh] in qkv's dtype.
 */
import { type KernelAttrs, type KernelInputs, splitParallelMixersAttrs, type TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { attentionDecodeStep } from './AttentionDecodeStep.js';
import { ssmDecodeStepInPlace } from './SsmDecodeStepInPlace.js';

export function parallelMixersDecodeStep(
  store: BufferStore,
  { qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, ...ssm }: KernelInputs<'ParallelMixersDecodeStep'>,
  attrs: KernelAttrs<'ParallelMixersDecodeStep'>,
): TensorInfo {
  const steps = splitParallelMixersAttrs(attrs);
  const y = ssmDecodeStepInPlace(store, { ...ssm, zxbcdt: qkv }, steps.ssm);
  try {
    const attention = { qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix: y };
    return attentionDecodeStep(store, attention, steps.attention);
  } finally {
    store.dispose(y.dataId); // y lives on only as the output's first columns
  }
}

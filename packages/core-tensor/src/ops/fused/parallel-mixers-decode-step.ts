/**
 * Falcon-H1's parallel mixers' decode step (fused kernel `ParallelMixersDecodeStep`): the Mamba2 SSM step and the
 * attention step of one token, both reading their columns of ONE packed row (the merged [in_proj ; q|k|v]
 * projection), the SSM's silu-gated output written in front of the attention heads — the merged out-projection's
 * input [y | o]. The two steps touch disjoint state (conv and SSM states; the KV cache), so a backend may run them
 * side by side in one launch; without such a kernel, the composition runs ssmDecodeStepInPlace's kernel then
 * attentionDecodeStep's (each native where the backend has it). Decode only: no gradient.
 */
import { composeParallelMixersDecodeStep } from '../../compositions/parallel-mixers-decode-step.js';
import { runFusedInPlace } from '../../fused-dispatch.js';
import type { Tensor } from '../../tensor.js';
import type { AttentionDecodeStepInputs, AttentionDecodeStepOptions } from './attention-decode-step.js';
import { checkAttentionDecodeStep } from './attention-decode-step-checks.js';
import { checkOneBackend } from './in-place-checks.js';
import { joinParallelMixersAttrs } from './parallel-mixers-attrs.js';
import { checkSsmDecodeStepInPlace } from './ssm-decode-step-checks.js';
import type { SsmDecodeStepInPlaceInputs, SsmDecodeStepInPlaceOptions } from './ssm-decode-step-in-place.js';

export interface ParallelMixersDecodeStepInputs {
  /** [B, W]: both steps' columns (the SSM's [z | x B C | dt] from ssm.offset, q|k|v from attention.offset). */
  qkv: Tensor;
  /** convState (Variable), convWeight, convBias?, ssmState (Variable), dtBias, A, D? — as ssmDecodeStepInPlace's. */
  ssm: Omit<SsmDecodeStepInPlaceInputs, 'zxbcdt'>;
  /** positions, keys (Variable), values (Variable), slots, qSeqIdx, kSeqIdx — as attentionDecodeStep's. */
  attention: Omit<AttentionDecodeStepInputs, 'qkv' | 'prefix'>;
}

export interface ParallelMixersDecodeStepOptions {
  /** activation?, timeStepLimit?, offset? — as ssmDecodeStepInPlace's; the gate is always 'silu'. */
  ssm: Omit<SsmDecodeStepInPlaceOptions, 'gate'>;
  /** heads, kvHeads, theta, scale?, offset? — as attentionDecodeStep's. */
  attention: AttentionDecodeStepOptions;
}

/**
 * Runs both steps: writes the next conv and SSM states into ssm.convState and ssm.ssmState, the token's key and
 * value into attention.keys and attention.values at the slots, and returns [y | o] [B, dSsm + Hq·Dh] in qkv's dtype
 * — exactly ssmDecodeStepInPlace (gate 'silu') followed by attentionDecodeStep with prefix y.
 */
export function parallelMixersDecodeStep(
  inputs: ParallelMixersDecodeStepInputs,
  options: ParallelMixersDecodeStepOptions,
): Tensor {
  const where = 'parallelMixersDecodeStep';
  const { qkv } = inputs;
  // Only the fields of the two signatures travel on (a plain JS caller's extra `gate`, `prefix` or `zxbcdt` do not).
  const { convState, convWeight, convBias, ssmState, dtBias, A, D } = inputs.ssm;
  const ssm = { convState, convWeight, convBias, ssmState, dtBias, A, D };
  const { positions, keys, values, slots, qSeqIdx, kSeqIdx } = inputs.attention;
  const attention = { positions, keys, values, slots, qSeqIdx, kSeqIdx };
  const attrs = joinParallelMixersAttrs({
    ssm: checkSsmDecodeStepInPlace(
      `${where} (SSM step)`,
      { ...ssm, zxbcdt: qkv },
      { ...options.ssm, gate: 'silu' },
      'qkv',
    ),
    attention: checkAttentionDecodeStep(`${where} (attention step)`, { ...attention, qkv }, options.attention),
  });
  checkOneBackend(where, [qkv, ...Object.values(ssm), ...Object.values(attention)]);
  return runFusedInPlace('ParallelMixersDecodeStep', { qkv, ...ssm, ...attention }, attrs, () =>
    composeParallelMixersDecodeStep({ qkv, ssm, attention }, attrs),
  );
}

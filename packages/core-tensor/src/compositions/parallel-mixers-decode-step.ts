/**
 * ParallelMixersDecodeStep composed from the two kernels it fuses, in order: SsmDecodeStepInPlace (gate 'silu', its
 * columns at ssmOffset) then AttentionDecodeStep (q|k|v at attentionOffset, prefix = the SSM's y). Each goes through
 * its own dispatch, so a backend with either native kernel still runs it (and its composition otherwise).
 */
import { runFusedInPlace } from '../fused-dispatch.js';
import type { KernelAttrs } from '../kernel-contract.js';
import { splitParallelMixersAttrs } from '../ops/fused/parallel-mixers-attrs.js';
import type { ParallelMixersDecodeStepInputs } from '../ops/fused/parallel-mixers-decode-step.js';
import type { Tensor } from '../tensor.js';
import { composeAttentionDecodeStep } from './attention-decode-step.js';
import { composeSsmDecodeStepInPlace } from './ssm-decode-step-in-place.js';

/** [y | o] [B, dSsm + Hq·Dh]; writes both states and the KV cache in place. The caller runs it under `tidy`. */
export function composeParallelMixersDecodeStep(
  { qkv, ssm, attention }: ParallelMixersDecodeStepInputs,
  attrs: KernelAttrs<'ParallelMixersDecodeStep'>,
): Tensor {
  const steps = splitParallelMixersAttrs(attrs);
  const ssmInputs = { ...ssm, zxbcdt: qkv };
  const y = runFusedInPlace('SsmDecodeStepInPlace', ssmInputs, steps.ssm, () =>
    composeSsmDecodeStepInPlace(ssmInputs, steps.ssm),
  );
  const attentionInputs = { ...attention, qkv, prefix: y };
  return runFusedInPlace('AttentionDecodeStep', attentionInputs, steps.attention, () =>
    composeAttentionDecodeStep(attentionInputs, steps.attention),
  );
}

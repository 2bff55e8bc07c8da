/**
 * ParallelMixersDecodeStep's attrs are its two steps' attrs side by side (the SSM's offset as ssmOffset, the
 * attention's as attentionOffset; the SSM's gate is always 'silu'). These two functions convert between the forms,
 * so the op, the composition and any backend that runs the steps with its own two kernels map them one way.
 */
import type { KernelAttrs } from '../../kernel-contract.js';

export interface ParallelMixersStepAttrs {
  ssm: KernelAttrs<'SsmDecodeStepInPlace'>;
  attention: KernelAttrs<'AttentionDecodeStep'>;
}

/** The fused kernel's attrs from the two steps' (the SSM step's gate must be 'silu'). */
export function joinParallelMixersAttrs({
  ssm,
  attention,
}: ParallelMixersStepAttrs): KernelAttrs<'ParallelMixersDecodeStep'> {
  if (ssm.gate !== 'silu')
    throw new Error(`ParallelMixersDecodeStep: the SSM step's gate is 'silu', got '${ssm.gate}'`);
  const { offset: ssmOffset, gate: _silu, ...conv } = ssm;
  const { offset: attentionOffset, ...heads } = attention;
  return { ...conv, ssmOffset, ...heads, attentionOffset };
}

/** The two steps' attrs (SsmDecodeStepInPlace's with gate 'silu', AttentionDecodeStep's) from the fused kernel's. */
export function splitParallelMixersAttrs({
  ssmOffset,
  attentionOffset,
  activation,
  dtMin,
  dtMax,
  ...heads
}: KernelAttrs<'ParallelMixersDecodeStep'>): ParallelMixersStepAttrs {
  return {
    ssm: { activation, gate: 'silu', dtMin, dtMax, offset: ssmOffset },
    attention: { ...heads, offset: attentionOffset },
  };
}

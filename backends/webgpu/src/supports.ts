/** Shape limits of the native fused kernels (core composes the kernel where this says no). */
import type { FusedKernelName, KernelAttrs, KernelInputs } from '@falcon-h1/core-tensor';
import { ATTENTION_MAX_HEAD_DIM } from './kernels/Attention.js';
import { ATTENTION_DECODE_STEP_STORAGE_BUFFERS } from './kernels/AttentionDecodeStep.js';
import { SSM_DECODE_MAX_STATE } from './kernels/SsmDecodeStep.js';
import { SSM_MAX_STATE } from './kernels/SsmScan.js';
import type { WebGPUBackend } from './webgpu-backend.js';

export function supportsFused<K extends FusedKernelName>(
  b: WebGPUBackend,
  name: K,
  inputs: KernelInputs<K>,
  _attrs: KernelAttrs<K>,
): true | string {
  const storage = b.limits.maxStorageBuffersPerShaderStage;
  if (name === 'SsmScan') {
    const i = inputs as KernelInputs<'SsmScan'>;
    const n = i.Bm.shape[3]!;
    if (n > SSM_MAX_STATE) return `SsmScan: d_state ${n} > ${SSM_MAX_STATE} (the state row lives in registers)`;
    if (storage < 10) return `SsmScan: needs 10 storage buffers per stage, the device allows ${storage}`;
  }
  if (name === 'SsmStep' && storage < 9)
    return `SsmStep: needs 9 storage buffers per stage, the device allows ${storage}`;
  if (name === 'Attention') {
    const i = inputs as KernelInputs<'Attention'>;
    const dh = i.q.shape[3]!;
    const dv = i.v.shape[3]!;
    if (dh > ATTENTION_MAX_HEAD_DIM || dv > ATTENTION_MAX_HEAD_DIM) {
      return `Attention: head dims ${dh}/${dv} > ${ATTENTION_MAX_HEAD_DIM} (the output row lives in registers)`;
    }
  }
  if (name === 'SsmDecodeStep' || name === 'SsmDecodeStepInPlace') {
    const { ssmState, dtBias } = inputs as KernelInputs<'SsmDecodeStep'>;
    const n = ssmState.shape[3]!;
    if (n > SSM_DECODE_MAX_STATE) {
      return `${name}: d_state ${n} > ${SSM_DECODE_MAX_STATE} (B and C of a group live in workgroup memory)`;
    }
    // The shaders read and write the state as f32 (include/ssm_state_row.wgsl); core composes a 16-bit state's step
    // (a Cast to f32, this backend's SsmStep, a Cast back).
    if (ssmState.dtype !== dtBias.dtype) {
      return `${name}: a 16-bit ssmState (${ssmState.dtype}): the shaders keep the state in f32`;
    }
  }
  if (name === 'AttentionDecodeStep') {
    const dh = (inputs as KernelInputs<'AttentionDecodeStep'>).keys.shape[3]!;
    if (dh > ATTENTION_MAX_HEAD_DIM) {
      return `AttentionDecodeStep: head dim ${dh} > ${ATTENTION_MAX_HEAD_DIM} (the output row lives in registers)`;
    }
    if (storage < ATTENTION_DECODE_STEP_STORAGE_BUFFERS) {
      return `AttentionDecodeStep: needs ${ATTENTION_DECODE_STEP_STORAGE_BUFFERS} storage buffers per stage, the device allows ${storage}`;
    }
  }
  return true;
}

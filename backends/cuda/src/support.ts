/**
 * supportsKernel: which inputs the fused kernels take (anything else goes to core's composition, which the
 * conformance suite certifies on this backend's primitives). The limits are real ones of the kernels:
 *  - activations share one dtype among f32, f16, bf16; states, moments and dloss are f32 (a decode step's SSM state
 *    may also be the activations' 16-bit dtype); ids are i32; the scan's
 *    dt, A and D share one dtype, the activations' or f32, and so does its backward's dy (y takes dt's dtype);
 *  - SsmScan: state size N ≤ 256 (eight state elements per lane); heads divisible by groups;
 *  - SsmDecodeStep(InPlace): 2N + 16 floats of shared memory per block, at most 65535 batch rows and heads;
 *  - AttentionDecodeStep: ≤ 16 query heads per KV head, head dim ≤ 256, its tiles in shared memory;
 *  - ParallelMixersDecodeStep: both of the above (it runs the two kernels side by side);
 *  - AddRmsNorm, AddRmsNormMatMul, AddRmsNormSwiGluMlp: D ≤ 12288 (one row of f32 sums in a block's default 48 KiB of shared memory);
 *  - Attention: head dims ≤ 256 and the CUDA-core kernel's tiles must fit the device's shared memory (that kernel
 *    takes every call the faster paths — tensor cores, split-K decode — leave, so its limits are the kernel's);
 *  - RmsNorm(Gated)Grad: one row of dweight partial sums must fit in shared memory;
 *  - CausalConv1dGrad: kernel width ≤ 8;
 *  - AdamWMulti: one param dtype over the lists; LinearCrossEntropy(Grad): at least one row and one vocabulary entry.
 */
import type { FusedKernelName, KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from './cuda-backend.js';
import { adamWMultiSupport } from './kernels/AdamWMulti.js';
import { addRmsNormSupport } from './kernels/AddRmsNorm.js';
import { attentionDecodeStepSupport } from './kernels/AttentionDecodeStep.js';
import { cacheWriteSupport } from './kernels/CacheWrite.js';
import { isDeviceFloat } from './kernels/checks.js';
import { parallelMixersDecodeStepSupport } from './kernels/ParallelMixersDecodeStep.js';
import { ssmDecodeStepSupport } from './kernels/SsmDecodeStep.js';

/** Inputs that are f32 whatever the activations' dtype. */
const F32_INPUTS: Partial<Record<FusedKernelName, readonly string[]>> = {
  SsmScan: ['initialState'],
  SsmScanGrad: ['initialState', 'dFinalState'],
  SsmStep: ['state'],
  SsmDecodeStep: ['dtBias', 'A', 'D'],
  SsmDecodeStepInPlace: ['dtBias', 'A', 'D'],
  ParallelMixersDecodeStep: ['dtBias', 'A', 'D'],
  AdamW: ['m', 'v'],
  CrossEntropyGrad: ['dloss'],
  LinearCrossEntropyGrad: ['dloss'],
};

/**
 * Inputs in the activations' dtype or f32, one dtype among them: a bf16/f16 model's exact scan parameters, and the
 * gradient of y, which takes dt's dtype.
 */
const ACTIVATION_OR_F32_INPUTS: Partial<Record<FusedKernelName, readonly string[]>> = {
  SsmScan: ['dt', 'A', 'D'],
  SsmScanGrad: ['dy', 'dt', 'A', 'D'],
};

/** "dt, A and D". */
function nameList(names: readonly string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : (names[0] ?? '');
}

/** The decode steps' SSM state: f32, or a 16-bit state in the activations' dtype. */
const STATE_INPUT: Partial<Record<FusedKernelName, string>> = {
  SsmDecodeStep: 'ssmState',
  SsmDecodeStepInPlace: 'ssmState',
  ParallelMixersDecodeStep: 'ssmState',
};

/** Integer inputs (ids, positions, labels). */
const I32_INPUTS = new Set(['seqIdx', 'qSeqIdx', 'kSeqIdx', 'positions', 'labels', 'slots']);

const ATTENTION_ROWS = 8;
const ATTENTION_TILE = 32;
const MAX_HEAD_DIM = 256;
const MAX_STATE = 256;

function attentionSharedBytes(Dh: number, Dv: number): number {
  return (ATTENTION_ROWS * (Dh + Dv) + ATTENTION_TILE * (Dh + 1) + ATTENTION_TILE * (Dv + 1) + 2 * ATTENTION_TILE) * 4;
}

export function supportsKernel<K extends FusedKernelName>(
  backend: CudaBackend,
  name: K,
  inputs: KernelInputs<K>,
  attrs: KernelAttrs<K>,
): true | string {
  // CacheWrite moves raw elements of any device dtype (document ids too), not activations of one float dtype.
  if (name === 'CacheWrite') return cacheWriteSupport(inputs as KernelInputs<'CacheWrite'>);
  if (name === 'AdamWMulti') return adamWMultiSupport(inputs as KernelInputs<'AdamWMulti'>); // list inputs
  const f32Inputs = new Set(F32_INPUTS[name] ?? []);
  const activationOrF32 = new Set(ACTIVATION_OR_F32_INPUTS[name] ?? []);
  const parameterNames = nameList([...activationOrF32]);
  let dtype: string | undefined;
  let parameterDtype: string | undefined;
  let stateDtype: string | undefined;
  for (const [key, value] of Object.entries(inputs as Record<string, TensorInfo | undefined>)) {
    if (value === undefined) continue;
    if (key === STATE_INPUT[name]) {
      stateDtype = value.dtype;
      continue;
    }
    if (I32_INPUTS.has(key)) {
      if (value.dtype !== 'i32') return `${key} must be i32, got ${value.dtype}`;
      continue;
    }
    if (f32Inputs.has(key)) {
      if (value.dtype !== 'f32') return `${key} must be f32 on the CUDA backend, got ${value.dtype}`;
      continue;
    }
    if (!isDeviceFloat(value.dtype)) return `${key}: dtype ${value.dtype} is not one of f32, f16, bf16`;
    if (activationOrF32.has(key)) {
      if (parameterDtype === undefined) parameterDtype = value.dtype;
      else if (value.dtype !== parameterDtype)
        return `${key}: ${parameterNames} of mixed dtypes (${parameterDtype} and ${value.dtype})`;
      continue;
    }
    if (dtype === undefined) dtype = value.dtype;
    else if (value.dtype !== dtype) return `inputs of mixed dtypes (${dtype} and ${value.dtype})`;
  }
  if (stateDtype !== undefined && stateDtype !== 'f32' && (stateDtype !== dtype || dtype === 'f32')) {
    const rule =
      dtype === 'f16' || dtype === 'bf16'
        ? `f32 or the activations' 16-bit dtype (${dtype})`
        : `f32 with ${dtype} activations (a 16-bit state needs f16/bf16 activations of its dtype)`;
    return `${STATE_INPUT[name]} must be ${rule}, got ${stateDtype}`;
  }
  if (parameterDtype !== undefined && parameterDtype !== 'f32' && parameterDtype !== dtype) {
    return `${parameterNames} must be f32 or the activations' dtype ${dtype}, got ${parameterDtype}`;
  }
  const maxShared = backend.info.maxSharedPerBlock;
  const a = attrs as Record<string, unknown>;
  const i = inputs as Record<string, TensorInfo | undefined>;
  switch (name) {
    case 'SsmScan':
    case 'SsmScanGrad': {
      const [, , H] = i.x!.shape;
      const [, , G, N] = i.Bm!.shape;
      if (N! > MAX_STATE) return `d_state must be ≤ ${MAX_STATE}, got ${N}`;
      if (H! % G! !== 0) return `heads (${H}) must be divisible by groups (${G})`;
      if (!(Number(a.chunkSize) >= 1)) return `chunkSize must be ≥ 1, got ${String(a.chunkSize)}`;
      return true;
    }
    case 'SsmStep': {
      const [, H] = i.state!.shape;
      const G = i.Bm!.shape[1]!;
      if (H! % G !== 0) return `heads (${H}) must be divisible by groups (${G})`;
      return true;
    }
    case 'SsmDecodeStep':
    case 'SsmDecodeStepInPlace':
      return ssmDecodeStepSupport(i as KernelInputs<'SsmDecodeStep'>, maxShared);
    case 'Attention':
    case 'AttentionGrad': {
      const Dh = i.q!.shape[3]!;
      const Dv = i.v!.shape[3]!;
      if (Dh > MAX_HEAD_DIM || Dv > MAX_HEAD_DIM) return `head dims must be ≤ ${MAX_HEAD_DIM}, got ${Dh} and ${Dv}`;
      if (attentionSharedBytes(Dh, Dv) > maxShared)
        return `head dims ${Dh}/${Dv} need more shared memory than the device has`;
      return true;
    }
    case 'AttentionDecodeStep':
      return attentionDecodeStepSupport(
        inputs as KernelInputs<'AttentionDecodeStep'>,
        attrs as KernelAttrs<'AttentionDecodeStep'>,
        maxShared,
      );
    case 'ParallelMixersDecodeStep':
      return parallelMixersDecodeStepSupport(
        inputs as KernelInputs<'ParallelMixersDecodeStep'>,
        attrs as KernelAttrs<'ParallelMixersDecodeStep'>,
        maxShared,
      );
    case 'AddRmsNorm':
      return addRmsNormSupport(inputs as KernelInputs<'AddRmsNorm'>);
    case 'AddRmsNormMatMul':
      return addRmsNormSupport({ weight: (inputs as KernelInputs<'AddRmsNormMatMul'>).normWeight });
    case 'AddRmsNormSwiGluMlp':
      return addRmsNormSupport({ weight: (inputs as KernelInputs<'AddRmsNormSwiGluMlp'>).normWeight });
    case 'RmsNormGrad': {
      const D = i.weight!.shape[0]!;
      if (D * 4 > maxShared) return `D = ${D} is too large for one block's dweight partial sums`;
      return true;
    }
    case 'RmsNormGated':
    case 'RmsNormGatedGrad': {
      const D = i.weight!.shape[0]!;
      const groups = D / Number(a.groupSize);
      const bytes = (name === 'RmsNormGatedGrad' ? D + 2 * groups : groups) * 4;
      if (bytes > maxShared) return `D = ${D} is too large for one block's shared memory`;
      return true;
    }
    case 'LinearCrossEntropy':
    case 'LinearCrossEntropyGrad': {
      const [R] = i.hidden!.shape;
      const V = i.weight!.shape[0]!;
      if (R === 0 || V === 0) return 'no rows or an empty vocabulary (the composition handles it)';
      return true;
    }
    case 'CausalConv1dGrad': {
      const K = i.weight!.shape[1]!;
      if (K > 8) return `conv width must be ≤ 8, got ${K}`;
      return true;
    }
    default:
      return true;
  }
}

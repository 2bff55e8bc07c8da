/** The fused kernels this backend runs natively (the others run as core's compositions of primitives). */
import type { FusedKernelName } from '@falcon-h1/core-tensor';
import { adamW } from './kernels/AdamW.js';
import { addRmsNorm } from './kernels/AddRmsNorm.js';
import { attention } from './kernels/Attention.js';
import { attentionDecodeStep } from './kernels/AttentionDecodeStep.js';
import { cacheWrite } from './kernels/CacheWrite.js';
import { causalConv1d } from './kernels/CausalConv1d.js';
import { causalConv1dUpdate } from './kernels/CausalConv1dUpdate.js';
import { crossEntropy, crossEntropyGrad } from './kernels/CrossEntropy.js';
import { rmsNorm } from './kernels/RmsNorm.js';
import { rmsNormGated } from './kernels/RmsNormGated.js';

import { rmsNormGatedGrad, rmsNormGrad } from './kernels/RmsNormGrad.js';
import { rope } from './kernels/Rope.js';
import { softmax, softmaxGrad } from './kernels/Softmax.js';
import { ssmDecodeStep, ssmDecodeStepInPlace } from './kernels/SsmDecodeStep.js';
import { ssmScan } from './kernels/SsmScan.js';
import { ssmStep } from './kernels/SsmStep.js';
import { swiGlu } from './kernels/SwiGlu.js';
import { swiGluPacked } from './kernels/SwiGluPacked.js';
import type { WebGPUBackend } from './webgpu-backend.js';

// biome-ignore lint/suspicious/noExplicitAny: each entry is typed by its own file.
type Impl = (b: WebGPUBackend, inputs: any, attrs: any) => any;

export function registerFusedKernels(): Partial<Record<FusedKernelName, Impl>> {
  return {
    Softmax: softmax,
    SoftmaxGrad: softmaxGrad,
    RmsNorm: rmsNorm,
    AddRmsNorm: addRmsNorm,
    RmsNormGrad: rmsNormGrad,
    RmsNormGated: rmsNormGated,
    RmsNormGatedGrad: rmsNormGatedGrad,
    Rope: rope,
    CausalConv1d: causalConv1d,
    CausalConv1dUpdate: causalConv1dUpdate,
    SsmScan: ssmScan,
    SsmStep: ssmStep,
    SsmDecodeStep: ssmDecodeStep,
    SsmDecodeStepInPlace: ssmDecodeStepInPlace,
    CacheWrite: cacheWrite,
    Attention: attention,
    AttentionDecodeStep: attentionDecodeStep,
    CrossEntropy: crossEntropy,
    CrossEntropyGrad: crossEntropyGrad,
    AdamW: adamW,
    SwiGlu: swiGlu,
    SwiGluPacked: swiGluPacked,
  };
}

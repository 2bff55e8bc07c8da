/**
 * Fused kernels whose addon methods are newer than the committed prebuilt binary (prebuilds/): each is registered
 * only when the loaded addon has every method it calls, so an older binary keeps working — core then runs the
 * composition — instead of failing with "not a function" in the middle of a training step.
 */
import type { KernelTable } from '@falcon-h1/core-tensor';
import type { CudaContext } from './binding.js';
import type { CudaBackend } from './cuda-backend.js';
import { adamWMulti } from './kernels/AdamWMulti.js';
import { addRmsNorm } from './kernels/AddRmsNorm.js';
import { attentionDecodeStep } from './kernels/AttentionDecodeStep.js';
import { addRmsNormMatMul, addRmsNormSwiGluMlp, swiGluPackedMatMul } from './kernels/FusedMatMul.js';
import { linearCrossEntropy, linearCrossEntropyGrad } from './kernels/LinearCrossEntropy.js';
import { parallelMixersDecodeStep } from './kernels/ParallelMixersDecodeStep.js';
import { swiGlu, swiGluGrad } from './kernels/SwiGlu.js';
import { swiGluPacked } from './kernels/SwiGluPacked.js';

function has(ctx: CudaContext, ...methods: Array<keyof CudaContext>): boolean {
  return methods.every((m) => typeof ctx[m] === 'function');
}

export function registerAddonKernels(b: CudaBackend): Partial<KernelTable> {
  const table: Partial<KernelTable> = {};
  if (has(b.ctx, 'SwiGlu', 'SwiGluGrad')) {
    table.SwiGlu = (inputs, attrs) => swiGlu(b, inputs, attrs);
    table.SwiGluGrad = (inputs, attrs) => swiGluGrad(b, inputs, attrs);
  }
  if (has(b.ctx, 'SwiGluPacked')) table.SwiGluPacked = (inputs, attrs) => swiGluPacked(b, inputs, attrs);
  if (has(b.ctx, 'AddRmsNorm')) table.AddRmsNorm = (inputs, attrs) => addRmsNorm(b, inputs, attrs);
  if (has(b.ctx, 'AddRmsNormMatMul')) {
    table.AddRmsNormMatMul = (inputs, attrs) => addRmsNormMatMul(b, inputs, attrs);
  }
  if (has(b.ctx, 'SwiGluPackedMatMul')) {
    table.SwiGluPackedMatMul = (inputs, attrs) => swiGluPackedMatMul(b, inputs, attrs);
  }
  if (has(b.ctx, 'AddRmsNormSwiGluMlp')) {
    table.AddRmsNormSwiGluMlp = (inputs, attrs) => addRmsNormSwiGluMlp(b, inputs, attrs);
  }
  if (has(b.ctx, 'AttentionDecodeStep')) {
    table.AttentionDecodeStep = (inputs, attrs) => attentionDecodeStep(b, inputs, attrs);
  }
  // FALCON_H1_CUDA_PARALLEL_MIXERS=off runs the two steps one after the other (core's composition), for A/B runs.
  if (has(b.ctx, 'ParallelMixersDecodeStep') && process.env.FALCON_H1_CUDA_PARALLEL_MIXERS !== 'off') {
    table.ParallelMixersDecodeStep = (inputs, attrs) => parallelMixersDecodeStep(b, inputs, attrs);
  }
  if (has(b.ctx, 'AdamWMulti')) table.AdamWMulti = (inputs, attrs) => adamWMulti(b, inputs, attrs);
  if (has(b.ctx, 'LceChunkStats', 'LceLoss', 'LceChunkGrad', 'LceAccumulate')) {
    table.LinearCrossEntropy = (inputs, attrs) => linearCrossEntropy(b, inputs, attrs);
    table.LinearCrossEntropyGrad = (inputs, attrs) => linearCrossEntropyGrad(b, inputs, attrs);
  }
  return table;
}

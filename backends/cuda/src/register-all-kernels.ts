/**
 * The CUDA backend's kernel table: every primitive of the contract and the fused kernels it runs natively, each
 * bound to the backend. The TypeScript glue (src/kernels/) computes shapes and merged layouts and calls the addon
 * method of the same name (native/kernels/*.cu do the work).
 */
import type { KernelTable } from '@falcon-h1/core-tensor';
import type { CudaBackend } from './cuda-backend.js';
import { adamW } from './kernels/AdamW.js';
import { attention, attentionGrad } from './kernels/Attention.js';
import { cacheWrite } from './kernels/CacheWrite.js';
import { causalConv1d, causalConv1dGrad, causalConv1dUpdate } from './kernels/CausalConv1d.js';
import { crossEntropy, crossEntropyGrad } from './kernels/CrossEntropy.js';
import { binaryKernel, clamp, compareKernel, scale, unaryKernel, where } from './kernels/elementwise.js';
import { cast, concat, copy, fill, gather, scatterAdd, slice, transpose } from './kernels/layout.js';
import { matMul } from './kernels/MatMul.js';
import { rmsNorm, rmsNormGated, rmsNormGatedGrad, rmsNormGrad } from './kernels/RmsNorm.js';
import { rope } from './kernels/Rope.js';
import { argMax, cumSum, reduceKernel } from './kernels/reduce.js';
import { softmax, softmaxGrad } from './kernels/Softmax.js';
import { ssmDecodeStep, ssmDecodeStepInPlace } from './kernels/SsmDecodeStep.js';
import { ssmScan, ssmScanGrad, ssmStep } from './kernels/SsmScan.js';
import { registerAddonKernels } from './register-addon-kernels.js';

export function registerAllKernels(b: CudaBackend): KernelTable {
  const unary = (name: Parameters<typeof unaryKernel>[0]) => {
    const k = unaryKernel(name);
    return (inputs: Parameters<ReturnType<typeof unaryKernel>>[1]) => k(b, inputs);
  };
  const binary = (name: Parameters<typeof binaryKernel>[0]) => {
    const k = binaryKernel(name);
    return (inputs: Parameters<ReturnType<typeof binaryKernel>>[1]) => k(b, inputs);
  };
  const compare = (name: Parameters<typeof compareKernel>[0]) => {
    const k = compareKernel(name);
    return (inputs: Parameters<ReturnType<typeof compareKernel>>[1]) => k(b, inputs);
  };
  const reduce = (name: Parameters<typeof reduceKernel>[0]) => {
    const k = reduceKernel(name);
    return (
      inputs: Parameters<ReturnType<typeof reduceKernel>>[1],
      attrs: Parameters<ReturnType<typeof reduceKernel>>[2],
    ) => k(b, inputs, attrs);
  };
  return {
    // Primitives: unary
    Neg: unary('Neg'),
    Abs: unary('Abs'),
    Exp: unary('Exp'),
    Log: unary('Log'),
    Sqrt: unary('Sqrt'),
    Rsqrt: unary('Rsqrt'),
    Reciprocal: unary('Reciprocal'),
    Sigmoid: unary('Sigmoid'),
    Silu: unary('Silu'),
    Softplus: unary('Softplus'),
    Tanh: unary('Tanh'),
    // binary, compare
    Add: binary('Add'),
    Sub: binary('Sub'),
    Mul: binary('Mul'),
    Div: binary('Div'),
    Maximum: binary('Maximum'),
    Minimum: binary('Minimum'),
    Equal: compare('Equal'),
    NotEqual: compare('NotEqual'),
    Less: compare('Less'),
    LessEqual: compare('LessEqual'),
    Greater: compare('Greater'),
    GreaterEqual: compare('GreaterEqual'),
    // elementwise with attributes, select
    Scale: (inputs, attrs) => scale(b, inputs, attrs),
    Clamp: (inputs, attrs) => clamp(b, inputs, attrs),
    Where: (inputs) => where(b, inputs),
    // reductions and scans
    Sum: reduce('Sum'),
    Mean: reduce('Mean'),
    Max: reduce('Max'),
    ArgMax: (inputs, attrs) => argMax(b, inputs, attrs),
    CumSum: (inputs, attrs) => cumSum(b, inputs, attrs),
    // linear algebra, conversion, data movement
    MatMul: (inputs, attrs) => matMul(b, inputs, attrs),
    Cast: (inputs, attrs) => cast(b, inputs, attrs),
    Copy: (inputs) => copy(b, inputs),
    Slice: (inputs, attrs) => slice(b, inputs, attrs),
    Concat: (inputs, attrs) => concat(b, inputs, attrs),
    Transpose: (inputs, attrs) => transpose(b, inputs, attrs),
    Fill: (inputs, attrs) => fill(b, inputs, attrs),
    Gather: (inputs) => gather(b, inputs),
    ScatterAdd: (inputs, attrs) => scatterAdd(b, inputs, attrs),

    // Fused kernels, forward and backward
    Softmax: (inputs) => softmax(b, inputs),
    SoftmaxGrad: (inputs) => softmaxGrad(b, inputs),
    RmsNorm: (inputs, attrs) => rmsNorm(b, inputs, attrs),
    RmsNormGrad: (inputs, attrs) => rmsNormGrad(b, inputs, attrs),
    RmsNormGated: (inputs, attrs) => rmsNormGated(b, inputs, attrs),
    RmsNormGatedGrad: (inputs, attrs) => rmsNormGatedGrad(b, inputs, attrs),
    Rope: (inputs, attrs) => rope(b, inputs, attrs),
    CausalConv1d: (inputs, attrs) => causalConv1d(b, inputs, attrs),
    CausalConv1dGrad: (inputs, attrs) => causalConv1dGrad(b, inputs, attrs),
    CausalConv1dUpdate: (inputs, attrs) => causalConv1dUpdate(b, inputs, attrs),
    SsmScan: (inputs, attrs) => ssmScan(b, inputs, attrs),
    SsmScanGrad: (inputs, attrs) => ssmScanGrad(b, inputs, attrs),
    // Only where the loaded addon has the method (an older prebuilt binary: core's composition writes instead).
    ...(typeof b.ctx.CacheWrite === 'function' ? { CacheWrite: cacheWrite.bind(undefined, b) } : {}),
    SsmStep: (inputs) => ssmStep(b, inputs),
    // Only where the loaded addon has the method (an older prebuilt binary: core's composition runs instead).
    ...(typeof b.ctx.SsmDecodeStep === 'function'
      ? {
          SsmDecodeStep: ssmDecodeStep.bind(undefined, b),
          SsmDecodeStepInPlace: ssmDecodeStepInPlace.bind(undefined, b),
        }
      : {}),
    Attention: (inputs, attrs) => attention(b, inputs, attrs),
    AttentionGrad: (inputs, attrs) => attentionGrad(b, inputs, attrs),
    CrossEntropy: (inputs, attrs) => crossEntropy(b, inputs, attrs),
    CrossEntropyGrad: (inputs, attrs) => crossEntropyGrad(b, inputs, attrs),
    AdamW: (inputs, attrs) => adamW(b, inputs, attrs),
    // SwiGlu, SwiGluPacked, AdamWMulti, LinearCrossEntropy (+Grad), where the loaded addon has their methods
    ...registerAddonKernels(b),
  };
}

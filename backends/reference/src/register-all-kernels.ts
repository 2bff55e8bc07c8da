/**
 * The reference backend's kernel table: every primitive and every fused kernel of kernel-contract.ts, each bound
 * to the backend's buffer store. Typed as a KernelTable whose fused kernels are required too, so leaving out any
 * kernel of the contract fails to compile.
 */
import type { KernelTable } from '@falcon-h1/core-tensor';
import type { BufferStore } from './buffer-store.js';
import { abs } from './kernels/Abs.js';
import { adamW } from './kernels/AdamW.js';
import { adamWMulti } from './kernels/AdamWMulti.js';
import { add } from './kernels/Add.js';
import { addRmsNorm } from './kernels/AddRmsNorm.js';
import { addRmsNormMatMul } from './kernels/AddRmsNormMatMul.js';
import { addRmsNormSwiGluMlp } from './kernels/AddRmsNormSwiGluMlp.js';
import { argMax } from './kernels/ArgMax.js';
import { attention, attentionGrad } from './kernels/Attention.js';
import { attentionDecodeStep } from './kernels/AttentionDecodeStep.js';
import { cacheWrite } from './kernels/CacheWrite.js';
import { cast } from './kernels/Cast.js';
import { causalConv1d, causalConv1dGrad } from './kernels/CausalConv1d.js';
import { causalConv1dUpdate } from './kernels/CausalConv1dUpdate.js';
import { clamp } from './kernels/Clamp.js';
import { concat } from './kernels/Concat.js';
import { copy } from './kernels/Copy.js';
import { crossEntropy, crossEntropyGrad } from './kernels/CrossEntropy.js';
import { cumSum } from './kernels/CumSum.js';
import { div } from './kernels/Div.js';
import { equal } from './kernels/Equal.js';
import { exp } from './kernels/Exp.js';
import { fill } from './kernels/Fill.js';
import { gather } from './kernels/Gather.js';
import { greater } from './kernels/Greater.js';
import { greaterEqual } from './kernels/GreaterEqual.js';
import { less } from './kernels/Less.js';
import { lessEqual } from './kernels/LessEqual.js';
import { linearCrossEntropy, linearCrossEntropyGrad } from './kernels/LinearCrossEntropy.js';
import { log } from './kernels/Log.js';
import { matMul } from './kernels/MatMul.js';
import { max } from './kernels/Max.js';
import { maximum } from './kernels/Maximum.js';
import { mean } from './kernels/Mean.js';
import { minimum } from './kernels/Minimum.js';
import { mul } from './kernels/Mul.js';
import { neg } from './kernels/Neg.js';
import { notEqual } from './kernels/NotEqual.js';
import { parallelMixersDecodeStep } from './kernels/ParallelMixersDecodeStep.js';
import { reciprocal } from './kernels/Reciprocal.js';
import { rmsNorm, rmsNormGrad } from './kernels/RmsNorm.js';
import { rmsNormGated, rmsNormGatedGrad } from './kernels/RmsNormGated.js';
import { rope } from './kernels/Rope.js';
import { rsqrt } from './kernels/Rsqrt.js';
import { scale } from './kernels/Scale.js';
import { scatterAdd } from './kernels/ScatterAdd.js';
import { sigmoid } from './kernels/Sigmoid.js';
import { silu } from './kernels/Silu.js';
import { slice } from './kernels/Slice.js';
import { softmax, softmaxGrad } from './kernels/Softmax.js';
import { softplus } from './kernels/Softplus.js';
import { sqrt } from './kernels/Sqrt.js';
import { ssmDecodeStep } from './kernels/SsmDecodeStep.js';
import { ssmDecodeStepInPlace } from './kernels/SsmDecodeStepInPlace.js';
import { ssmScan, ssmScanGrad } from './kernels/SsmScan.js';
import { ssmStep } from './kernels/SsmStep.js';
import { sub } from './kernels/Sub.js';
import { sum } from './kernels/Sum.js';
import { swiGlu, swiGluGrad } from './kernels/SwiGlu.js';
import { swiGluPacked } from './kernels/SwiGluPacked.js';
import { swiGluPackedMatMul } from './kernels/SwiGluPackedMatMul.js';
import { tanh } from './kernels/Tanh.js';
import { transpose } from './kernels/Transpose.js';
import { where } from './kernels/Where.js';

/** The reference backend's table: a KernelTable with every fused kernel present. */
export type CompleteKernelTable = Required<KernelTable>;

export function registerAllKernels(store: BufferStore): CompleteKernelTable {
  return {
    // Primitives: unary
    Neg: (inputs, attrs) => neg(store, inputs, attrs),
    Abs: (inputs, attrs) => abs(store, inputs, attrs),
    Exp: (inputs, attrs) => exp(store, inputs, attrs),
    Log: (inputs, attrs) => log(store, inputs, attrs),
    Sqrt: (inputs, attrs) => sqrt(store, inputs, attrs),
    Rsqrt: (inputs, attrs) => rsqrt(store, inputs, attrs),
    Reciprocal: (inputs, attrs) => reciprocal(store, inputs, attrs),
    Sigmoid: (inputs, attrs) => sigmoid(store, inputs, attrs),
    Silu: (inputs, attrs) => silu(store, inputs, attrs),
    Softplus: (inputs, attrs) => softplus(store, inputs, attrs),
    Tanh: (inputs, attrs) => tanh(store, inputs, attrs),
    // binary
    Add: (inputs, attrs) => add(store, inputs, attrs),
    Sub: (inputs, attrs) => sub(store, inputs, attrs),
    Mul: (inputs, attrs) => mul(store, inputs, attrs),
    Div: (inputs, attrs) => div(store, inputs, attrs),
    Maximum: (inputs, attrs) => maximum(store, inputs, attrs),
    Minimum: (inputs, attrs) => minimum(store, inputs, attrs),
    // compare
    Equal: (inputs, attrs) => equal(store, inputs, attrs),
    NotEqual: (inputs, attrs) => notEqual(store, inputs, attrs),
    Less: (inputs, attrs) => less(store, inputs, attrs),
    LessEqual: (inputs, attrs) => lessEqual(store, inputs, attrs),
    Greater: (inputs, attrs) => greater(store, inputs, attrs),
    GreaterEqual: (inputs, attrs) => greaterEqual(store, inputs, attrs),
    // elementwise with attributes, select
    Scale: (inputs, attrs) => scale(store, inputs, attrs),
    Clamp: (inputs, attrs) => clamp(store, inputs, attrs),
    Where: (inputs) => where(store, inputs),
    // reductions and scans
    Sum: (inputs, attrs) => sum(store, inputs, attrs),
    Mean: (inputs, attrs) => mean(store, inputs, attrs),
    Max: (inputs, attrs) => max(store, inputs, attrs),
    ArgMax: (inputs, attrs) => argMax(store, inputs, attrs),
    CumSum: (inputs, attrs) => cumSum(store, inputs, attrs),
    // linear algebra, conversion, data movement
    MatMul: (inputs, attrs) => matMul(store, inputs, attrs),
    Cast: (inputs, attrs) => cast(store, inputs, attrs),
    Copy: (inputs) => copy(store, inputs),
    Slice: (inputs, attrs) => slice(store, inputs, attrs),
    Concat: (inputs, attrs) => concat(store, inputs, attrs),
    Transpose: (inputs, attrs) => transpose(store, inputs, attrs),
    Fill: (inputs, attrs) => fill(store, inputs, attrs),
    Gather: (inputs) => gather(store, inputs),
    ScatterAdd: (inputs, attrs) => scatterAdd(store, inputs, attrs),

    // Fused kernels, forward and backward
    Softmax: (inputs) => softmax(store, inputs),
    SoftmaxGrad: (inputs) => softmaxGrad(store, inputs),
    RmsNorm: (inputs, attrs) => rmsNorm(store, inputs, attrs),
    RmsNormGrad: (inputs, attrs) => rmsNormGrad(store, inputs, attrs),
    AddRmsNorm: (inputs, attrs) => addRmsNorm(store, inputs, attrs),
    AddRmsNormMatMul: (inputs, attrs) => addRmsNormMatMul(store, inputs, attrs),
    RmsNormGated: (inputs, attrs) => rmsNormGated(store, inputs, attrs),
    RmsNormGatedGrad: (inputs, attrs) => rmsNormGatedGrad(store, inputs, attrs),
    Rope: (inputs, attrs) => rope(store, inputs, attrs),
    CausalConv1d: (inputs, attrs) => causalConv1d(store, inputs, attrs),
    CausalConv1dGrad: (inputs, attrs) => causalConv1dGrad(store, inputs, attrs),
    CausalConv1dUpdate: (inputs, attrs) => causalConv1dUpdate(store, inputs, attrs),
    SsmScan: (inputs) => ssmScan(store, inputs), // chunkSize is irrelevant to the sequential oracle
    SsmScanGrad: (inputs) => ssmScanGrad(store, inputs),
    SsmStep: (inputs) => ssmStep(store, inputs),
    SsmDecodeStep: (inputs, attrs) => ssmDecodeStep(store, inputs, attrs),
    SsmDecodeStepInPlace: (inputs, attrs) => ssmDecodeStepInPlace(store, inputs, attrs),
    CacheWrite: (inputs) => cacheWrite(store, inputs),
    Attention: (inputs, attrs) => attention(store, inputs, attrs),
    AttentionGrad: (inputs, attrs) => attentionGrad(store, inputs, attrs),
    AttentionDecodeStep: (inputs, attrs) => attentionDecodeStep(store, inputs, attrs),
    ParallelMixersDecodeStep: (inputs, attrs) => parallelMixersDecodeStep(store, inputs, attrs),
    CrossEntropy: (inputs, attrs) => crossEntropy(store, inputs, attrs),
    CrossEntropyGrad: (inputs, attrs) => crossEntropyGrad(store, inputs, attrs),
    AdamW: (inputs, attrs) => adamW(store, inputs, attrs),
    AdamWMulti: (inputs, attrs) => adamWMulti(store, inputs, attrs),
    SwiGlu: (inputs, attrs) => swiGlu(store, inputs, attrs),
    SwiGluGrad: (inputs, attrs) => swiGluGrad(store, inputs, attrs),
    SwiGluPacked: (inputs, attrs) => swiGluPacked(store, inputs, attrs),
    SwiGluPackedMatMul: (inputs, attrs) => swiGluPackedMatMul(store, inputs, attrs),
    AddRmsNormSwiGluMlp: (inputs, attrs) => addRmsNormSwiGluMlp(store, inputs, attrs),
    LinearCrossEntropy: (inputs, attrs) => linearCrossEntropy(store, inputs, attrs),
    LinearCrossEntropyGrad: (inputs, attrs) => linearCrossEntropyGrad(store, inputs, attrs),
  };
}

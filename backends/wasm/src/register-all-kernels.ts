/**
 * The wasm backend's kernel table: every primitive and every fused kernel of kernel-contract.ts, each bound to
 * the backend (and run through `backend.run`, which frees a call's outputs again if it throws). Typed as a
 * KernelTable with every fused kernel present (but the few in ComposedOnWasm), so leaving any kernel out fails to
 * compile.
 */
import type { KernelAttrs, KernelInputs, KernelName, KernelOutputs, KernelTable } from '@falcon-h1/core-tensor';
import { abs } from './kernels/Abs.js';
import { adamW } from './kernels/AdamW.js';
import { add } from './kernels/Add.js';
import { argMax } from './kernels/ArgMax.js';
import { attention, attentionGrad } from './kernels/Attention.js';
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
import { log } from './kernels/Log.js';
import { matMul } from './kernels/MatMul.js';
import { max } from './kernels/Max.js';
import { maximum } from './kernels/Maximum.js';
import { mean } from './kernels/Mean.js';
import { minimum } from './kernels/Minimum.js';
import { mul } from './kernels/Mul.js';
import { neg } from './kernels/Neg.js';
import { notEqual } from './kernels/NotEqual.js';
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
import { ssmScan, ssmScanGrad } from './kernels/SsmScan.js';
import { ssmStep } from './kernels/SsmStep.js';
import { sub } from './kernels/Sub.js';
import { sum } from './kernels/Sum.js';
import { tanh } from './kernels/Tanh.js';
import { transpose } from './kernels/Transpose.js';
import { where } from './kernels/Where.js';
import type { WasmBackend } from './wasm-backend.js';
import type { WasmKernel } from './wasm-kernel.js';

/**
 * Training-path fusions this backend leaves to core's compositions: on a CPU they save no memory traffic worth a
 * kernel (the composition's MatMul and elementwise kernels are the wasm ones), so they stay optional here.
 */
type ComposedOnWasm =
  | 'SwiGlu'
  | 'SwiGluGrad'
  // The packed-projection SwiGlu of a launch-bound GPU decode: the composition's Slices and SwiGlu do the work.
  | 'SwiGluPacked'
  | 'LinearCrossEntropy'
  | 'LinearCrossEntropyGrad'
  | 'AdamWMulti'
  // The in-place cache write is for graph-captured decoding (CUDA); here `overwrite` already assigns a new buffer.
  | 'CacheWrite'
  // A launch-bound GPU decode's fusion: on a CPU the composition's conv update and SSM step kernels do the work.
  | 'SsmDecodeStep'
  // Likewise; its composition's `overwrite` of the states is an assign here (a Copy into a new buffer: nothing is
  // captured on wasm, so no buffer has to keep its identity).
  | 'SsmDecodeStepInPlace'
  // Likewise: on a CPU the composition's rope, cache writes and attention kernels do the work.
  | 'AttentionDecodeStep'
  // Likewise: its composition runs the two steps above one after the other (a CPU has no idle units to overlap).
  | 'ParallelMixersDecodeStep'
  // Likewise: a launch saved is worth nothing on a CPU; the composition's Add and RmsNorm kernels do the work.
  | 'AddRmsNorm'
  // Likewise: the compositions' AddRmsNorm or SwiGluPacked, then the MatMul kernel, do the work.
  | 'AddRmsNormMatMul'
  | 'SwiGluPackedMatMul'
  | 'AddRmsNormSwiGluMlp';

export type CompleteKernelTable = Required<Omit<KernelTable, ComposedOnWasm>> & KernelTable;

export function registerAllKernels(backend: WasmBackend): CompleteKernelTable {
  const bind =
    <K extends KernelName>(kernel: WasmKernel<K>) =>
    (inputs: KernelInputs<K>, attrs: KernelAttrs<K>): KernelOutputs<K> =>
      backend.run(() => kernel(backend, inputs, attrs));
  return {
    // Primitives
    Neg: bind<'Neg'>(neg),
    Abs: bind<'Abs'>(abs),
    Exp: bind<'Exp'>(exp),
    Log: bind<'Log'>(log),
    Sqrt: bind<'Sqrt'>(sqrt),
    Rsqrt: bind<'Rsqrt'>(rsqrt),
    Reciprocal: bind<'Reciprocal'>(reciprocal),
    Sigmoid: bind<'Sigmoid'>(sigmoid),
    Silu: bind<'Silu'>(silu),
    Softplus: bind<'Softplus'>(softplus),
    Tanh: bind<'Tanh'>(tanh),
    Add: bind<'Add'>(add),
    Sub: bind<'Sub'>(sub),
    Mul: bind<'Mul'>(mul),
    Div: bind<'Div'>(div),
    Maximum: bind<'Maximum'>(maximum),
    Minimum: bind<'Minimum'>(minimum),
    Equal: bind<'Equal'>(equal),
    NotEqual: bind<'NotEqual'>(notEqual),
    Less: bind<'Less'>(less),
    LessEqual: bind<'LessEqual'>(lessEqual),
    Greater: bind<'Greater'>(greater),
    GreaterEqual: bind<'GreaterEqual'>(greaterEqual),
    Scale: bind<'Scale'>(scale),
    Clamp: bind<'Clamp'>(clamp),
    Where: bind<'Where'>(where),
    Sum: bind<'Sum'>(sum),
    Mean: bind<'Mean'>(mean),
    Max: bind<'Max'>(max),
    ArgMax: bind<'ArgMax'>(argMax),
    CumSum: bind<'CumSum'>(cumSum),
    MatMul: bind<'MatMul'>(matMul),
    Cast: bind<'Cast'>(cast),
    Copy: bind<'Copy'>(copy),
    Slice: bind<'Slice'>(slice),
    Concat: bind<'Concat'>(concat),
    Transpose: bind<'Transpose'>(transpose),
    Fill: bind<'Fill'>(fill),
    Gather: bind<'Gather'>(gather),
    ScatterAdd: bind<'ScatterAdd'>(scatterAdd),
    // Fused kernels, forward and backward
    Softmax: bind<'Softmax'>(softmax),
    SoftmaxGrad: bind<'SoftmaxGrad'>(softmaxGrad),
    RmsNorm: bind<'RmsNorm'>(rmsNorm),
    RmsNormGrad: bind<'RmsNormGrad'>(rmsNormGrad),
    RmsNormGated: bind<'RmsNormGated'>(rmsNormGated),
    RmsNormGatedGrad: bind<'RmsNormGatedGrad'>(rmsNormGatedGrad),
    Rope: bind<'Rope'>(rope),
    CausalConv1d: bind<'CausalConv1d'>(causalConv1d),
    CausalConv1dGrad: bind<'CausalConv1dGrad'>(causalConv1dGrad),
    CausalConv1dUpdate: bind<'CausalConv1dUpdate'>(causalConv1dUpdate),
    SsmScan: bind<'SsmScan'>(ssmScan),
    SsmScanGrad: bind<'SsmScanGrad'>(ssmScanGrad),
    SsmStep: bind<'SsmStep'>(ssmStep),
    Attention: bind<'Attention'>(attention),
    AttentionGrad: bind<'AttentionGrad'>(attentionGrad),
    CrossEntropy: bind<'CrossEntropy'>(crossEntropy),
    CrossEntropyGrad: bind<'CrossEntropyGrad'>(crossEntropyGrad),
    AdamW: bind<'AdamW'>(adamW),
  };
}

/**
 * The kernel table: every primitive of the contract and the fused kernels this backend runs natively, each from
 * its own file under kernels/ (named after the kernel), bound to the backend.
 */
import type { KernelTable, PrimitiveKernelName } from '@falcon-h1/core-tensor';
import { abs } from './kernels/Abs.js';
import { add } from './kernels/Add.js';
import { argMax } from './kernels/ArgMax.js';
import { cast } from './kernels/Cast.js';
import { clamp } from './kernels/Clamp.js';
import { concat } from './kernels/Concat.js';
import { copy } from './kernels/Copy.js';
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
import { rsqrt } from './kernels/Rsqrt.js';
import { scale } from './kernels/Scale.js';
import { scatterAdd } from './kernels/ScatterAdd.js';
import { sigmoid } from './kernels/Sigmoid.js';
import { silu } from './kernels/Silu.js';
import { slice } from './kernels/Slice.js';
import { softplus } from './kernels/Softplus.js';
import { sqrt } from './kernels/Sqrt.js';
import { sub } from './kernels/Sub.js';
import { sum } from './kernels/Sum.js';
import { tanh } from './kernels/Tanh.js';
import { transpose } from './kernels/Transpose.js';
import { where } from './kernels/Where.js';
import { registerFusedKernels } from './register-fused-kernels.js';
import type { WebGPUBackend } from './webgpu-backend.js';

/** A backend kernel: the contract's KernelFunc with the backend in front. */
// biome-ignore lint/suspicious/noExplicitAny: the table below is checked against KernelTable when bound.
type Impl = (b: WebGPUBackend, inputs: any, attrs: any) => any;

const PRIMITIVES: { [K in PrimitiveKernelName]: Impl } = {
  Neg: neg,
  Abs: abs,
  Exp: exp,
  Log: log,
  Sqrt: sqrt,
  Rsqrt: rsqrt,
  Reciprocal: reciprocal,
  Sigmoid: sigmoid,
  Silu: silu,
  Softplus: softplus,
  Tanh: tanh,
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Maximum: maximum,
  Minimum: minimum,
  Equal: equal,
  NotEqual: notEqual,
  Less: less,
  LessEqual: lessEqual,
  Greater: greater,
  GreaterEqual: greaterEqual,
  Scale: scale,
  Clamp: clamp,
  Where: where,
  Sum: sum,
  Mean: mean,
  Max: max,
  ArgMax: argMax,
  CumSum: cumSum,
  MatMul: matMul,
  Cast: cast,
  Copy: copy,
  Slice: slice,
  Concat: concat,
  Transpose: transpose,
  Fill: fill,
  Gather: gather,
  ScatterAdd: scatterAdd,
};

export type WebGPUKernelTable = KernelTable;

export function registerAllKernels(b: WebGPUBackend): WebGPUKernelTable {
  const table: Record<string, (inputs: unknown, attrs: unknown) => unknown> = {};
  for (const [name, impl] of Object.entries({ ...PRIMITIVES, ...registerFusedKernels() })) {
    table[name] = (inputs: unknown, attrs: unknown) => impl(b, inputs, attrs);
  }
  return table as unknown as WebGPUKernelTable;
}

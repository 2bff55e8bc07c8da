/**
 * CausalConv1d and CausalConv1dGrad: causal depthwise conv1d over time with zero left padding, in f64.
 *   x [B, T, C], weight [C, K], bias [C]?, initialState [B, C, K−1]?, seqIdx i32 [B, T]?
 *   u[b,t,c] = bias[c] + Σ_{k<K} weight[c,k] · xin[b, t−(K−1)+k, c]
 *   y[b,t,c] = act(u[b,t,c])                                 act: identity or silu
 * xin[b,s,c] is x[b,s,c] for s ≥ 0 and initialState[b, c, K−1+s] for s < 0 (zeros without an initial state).
 * With seqIdx, a term reads position s only if it belongs to t's document: seqIdx[b,s] = seqIdx[b,t] for s ≥ 0;
 * the initial-state columns (s < 0) belong to the document of t = 0.
 *
 * Backward, with du = dy ⊙ act'(u), over the same terms:
 *   dx[b,s,c] += du[b,t,c]·weight[c,k]  (s ≥ 0)     dinitialState[b,c,K−1+s] += du[b,t,c]·weight[c,k]  (s < 0)
 *   dweight[c,k] += du[b,t,c]·xin[b,s,c]            dbias[c] += du[b,t,c]
 */
import type { ConvActivation, KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { siluGradOf, siluOf } from './activations.js';

export interface CausalConv1dArrays {
  x: Float64Array; // [B, T, C]
  weight: Float64Array; // [C, K]
  bias?: Float64Array; // [C]
  initialState?: Float64Array; // [B, C, K−1]
  seqIdx?: Int32Array; // [B, T]
}

export interface CausalConv1dDims {
  B: number;
  T: number;
  C: number;
  K: number;
}

/** Whether term s of output (b, t) reads anything: in range, and in t's document. */
function reads(inp: CausalConv1dArrays, b: number, t: number, s: number, T: number): boolean {
  const { initialState, seqIdx } = inp;
  const documentOfS = s >= 0 ? b * T + s : b * T; // initial-state columns count as t = 0's document
  if (s < 0 && initialState === undefined) return false;
  return seqIdx === undefined || seqIdx[documentOfS] === seqIdx[b * T + t];
}

/** xin[b, s, c]: x for s ≥ 0, the initial state for s < 0. */
function xinAt(inp: CausalConv1dArrays, b: number, s: number, c: number, { T, C, K }: CausalConv1dDims): number {
  return s >= 0 ? inp.x[(b * T + s) * C + c] : inp.initialState![(b * C + c) * (K - 1) + (K - 1 + s)];
}

/** The pre-activation u[b,t,c]. */
function preActivation(inp: CausalConv1dArrays, b: number, t: number, c: number, dims: CausalConv1dDims): number {
  const { T, K } = dims;
  let u = inp.bias ? inp.bias[c] : 0;
  for (let k = 0; k < K; k++) {
    const s = t - (K - 1) + k;
    if (reads(inp, b, t, s, T)) u += inp.weight[c * K + k] * xinAt(inp, b, s, c, dims);
  }
  return u;
}

/** y [B, T, C] ← act(conv(x) + bias). */
export function causalConv1dForward(
  y: Float64Array,
  inp: CausalConv1dArrays,
  activation: ConvActivation,
  dims: CausalConv1dDims,
): void {
  const { B, T, C } = dims;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) {
        const u = preActivation(inp, b, t, c, dims);
        y[(b * T + t) * C + c] = activation === 'silu' ? siluOf(u) : u;
      }
    }
  }
}

export interface CausalConv1dGrads {
  dx: Float64Array; // [B, T, C]
  dweight: Float64Array; // [C, K]
  dbias: Float64Array; // [C]
  dinitialState: Float64Array; // [B, C, K−1]
}

/** Accumulates the gradients of causalConv1dForward given dy [B, T, C] into zeroed `grads`. */
export function causalConv1dBackward(
  grads: CausalConv1dGrads,
  dy: Float64Array,
  inp: CausalConv1dArrays,
  activation: ConvActivation,
  dims: CausalConv1dDims,
): void {
  const { B, T, C, K } = dims;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) {
        const at = (b * T + t) * C + c;
        const du = activation === 'silu' ? dy[at] * siluGradOf(preActivation(inp, b, t, c, dims)) : dy[at];
        grads.dbias[c] += du;
        for (let k = 0; k < K; k++) {
          const s = t - (K - 1) + k;
          if (!reads(inp, b, t, s, T)) continue;
          const w = inp.weight[c * K + k];
          if (s >= 0) grads.dx[(b * T + s) * C + c] += du * w;
          else grads.dinitialState[(b * C + c) * (K - 1) + (K - 1 + s)] += du * w;
          grads.dweight[c * K + k] += du * xinAt(inp, b, s, c, dims);
        }
      }
    }
  }
}

function arraysOf(
  store: BufferStore,
  { x, weight, bias, initialState, seqIdx }: KernelInputs<'CausalConv1d'>,
): [CausalConv1dArrays, CausalConv1dDims] {
  const [B, T, C] = x.shape;
  const K = weight.shape[1];
  const inp: CausalConv1dArrays = {
    x: store.floats(x),
    weight: store.floats(weight),
    bias: bias && store.floats(bias),
    initialState: initialState && store.floats(initialState),
    seqIdx: seqIdx && store.ints(seqIdx),
  };
  return [inp, { B, T, C, K }];
}

export function causalConv1d(
  store: BufferStore,
  inputs: KernelInputs<'CausalConv1d'>,
  { activation }: KernelAttrs<'CausalConv1d'>,
): TensorInfo {
  const [inp, dims] = arraysOf(store, inputs);
  const y = new Float64Array(inp.x.length);
  causalConv1dForward(y, inp, activation, dims);
  return store.output(y, inputs.x.shape, inputs.x.dtype);
}

export function causalConv1dGrad(
  store: BufferStore,
  inputs: KernelInputs<'CausalConv1dGrad'>,
  { activation }: KernelAttrs<'CausalConv1dGrad'>,
): KernelOutputs<'CausalConv1dGrad'> {
  const { dy, x, weight, bias, initialState } = inputs;
  const [inp, dims] = arraysOf(store, inputs);
  const { B, C, K } = dims;
  const grads: CausalConv1dGrads = {
    dx: new Float64Array(inp.x.length),
    dweight: new Float64Array(C * K),
    dbias: new Float64Array(C),
    dinitialState: new Float64Array(B * C * (K - 1)),
  };
  causalConv1dBackward(grads, store.floats(dy), inp, activation, dims);
  const out: KernelOutputs<'CausalConv1dGrad'> = {
    dx: store.output(grads.dx, x.shape, x.dtype),
    dweight: store.output(grads.dweight, weight.shape, weight.dtype),
  };
  if (bias) out.dbias = store.output(grads.dbias, bias.shape, bias.dtype);
  if (initialState) out.dinitialState = store.output(grads.dinitialState, initialState.shape, initialState.dtype);
  return out;
}

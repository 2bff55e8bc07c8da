/**
 * Mamba2's causal depthwise conv1d and its decode step, composed from primitives in ≥ f32.
 *
 * CausalConv1d: x [B, T, C], weight [C, K], bias [C]?, initialState [B, C, K−1]?, seqIdx i32 [B, T]?
 *   xin = [initialState (or zeros) ; x] along time    [B, K−1+T, C]: column s of the contract is xin[K−1+s]
 *   y[t] = act(bias + Σ_{k<K} weight[:, k] ⊙ xin[t+k])        (xin[t+k] holds position t−(K−1)+k)
 * With seqIdx, term k counts only where the document of position t−(K−1)+k equals the document of t; the
 * initial-state columns belong to the document of t = 0.
 *
 * CausalConv1dUpdate: convState [B, C, K] (oldest first), x [B, C]
 *   newState = [convState[:, :, 1:], x];  y = act(bias + Σ_k weight[:, k] ⊙ newState[:, :, k])
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import type { ConvActivation } from '../kernel-contract.js';
import { zeros } from '../ops/create.js';
import { add, equal, mul, silu, where } from '../ops/elementwise.js';
import { concat, sliceAxis, transpose } from '../ops/layout.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';
import { computeDType, narrow, widen } from './precision.js';

function activate(u: Tensor, activation: ConvActivation): Tensor {
  return activation === 'silu' ? silu(u) : u;
}

export const composeCausalConv1d: Composition<'CausalConv1d'> = (
  { x, weight, bias, initialState, seqIdx },
  { activation },
) =>
  tidy(() => {
    const [b, t, c] = x.shape as [number, number, number];
    const k = weight.shape[1]!;
    const dtype = computeDType(x.dtype);
    let xin = widen(x); // [B, K−1+T, C] once the history is in front
    let documents: Tensor | undefined; // i32 [B, K−1+T]: the document of every xin column
    if (k > 1) {
      const history = initialState ? transpose(widen(initialState), [0, 2, 1]) : zeros([b, k - 1, c], dtype, x.backend);
      xin = concat([history, xin], 1);
      // The K−1 history columns belong to t = 0's document.
      if (seqIdx) documents = concat([...new Array<Tensor>(k - 1).fill(sliceAxis(seqIdx, 1, 0, 1)), seqIdx], 1);
    }
    const columns = transpose(widen(weight)); // [K, C]
    const zero = zeros([], dtype, x.backend);
    let u: Tensor | undefined;
    for (let i = 0; i < k; i++) {
      let term = mul(sliceAxis(xin, 1, i, t), reshape(sliceAxis(columns, 0, i, 1), [c])); // [B, T, C]
      if (documents && i < k - 1) {
        term = where(reshape(equal(sliceAxis(documents, 1, i, t), seqIdx!), [b, t, 1]), term, zero);
      }
      u = u ? add(u, term) : term;
    }
    if (bias) u = add(u!, widen(bias));
    return narrow(activate(u!, activation), x.dtype);
  });

export const composeCausalConv1dUpdate: Composition<'CausalConv1dUpdate'> = (
  { convState, x, weight, bias },
  { activation },
) =>
  tidy(() => {
    const [b, c, k] = convState.shape as [number, number, number];
    const column = reshape(x, [b, c, 1]);
    const newState = concat(k > 1 ? [sliceAxis(convState, 2, 1, k - 1), column] : [column], 2); // [B, C, K]
    let u = sum(mul(widen(newState), widen(weight)), -1); // [B, C]
    if (bias) u = add(u, widen(bias));
    return { y: narrow(activate(u, activation), x.dtype), convState: newState };
  });

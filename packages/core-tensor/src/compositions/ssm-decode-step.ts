/**
 * SsmDecodeStep composed from the kernels the Mamba2 mixer's decode step ran before the fused kernel existed
 * (FalconH1Mixer.step): slices of the packed in_proj output, dt's Add/Softplus(/Clamp), CausalConv1dUpdate,
 * SsmStep and the y·silu(z) gate (SwiGlu). Each of those is itself a fused op, so on a backend that has them the
 * fallback runs their native kernels; results on every backend without SsmDecodeStep stay what they were.
 *
 * Precision (the contract's): dt, x, B, C, the state and the gate in the state dtype (f32; f64 for f64); the conv
 * output rounded to the activations' dtype as CausalConv1dUpdate stores it; y rounded once to the activations' dtype
 * after the gate, or left in the state dtype without one. A 16-bit ssmState (the activations' f16/bf16) is widened
 * to f32 first and the new state rounded back to it once at the end: the step itself, y included, is the f32 one.
 */
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import { add, clamp, softplus } from '../ops/elementwise.js';
import { causalConv1dUpdate } from '../ops/fused/causal-conv1d.js';
import { ssmStep } from '../ops/fused/ssm-scan.js';
import { swiGlu } from '../ops/fused/swi-glu.js';
import { split } from '../ops/layout.js';
import { reshape } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';
import { narrow, widen } from './precision.js';

export const composeSsmDecodeStep: Composition<'SsmDecodeStep'> = (
  { zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D },
  { activation, gate, dtMin, dtMax },
) =>
  tidy(() => {
    const [b, h, p, n] = ssmState.shape as [number, number, number, number];
    const convDim = convState.shape[1]!;
    const dSsm = h * p;
    const gn = (convDim - dSsm) / 2;
    // The state dtype (dtBias, A and D are in it); a 16-bit ssmState is widened to it here.
    const wide = dtBias.dtype;
    const [z, xBC, dtRaw] = split(zxbcdt, [dSsm, convDim, h], -1) as [Tensor, Tensor, Tensor];
    let dt = softplus(add(narrow(dtRaw, wide), dtBias));
    // softplus is positive: the default limit (0, ∞) changes nothing, so the Clamp is skipped for it.
    if (dtMin > 0 || dtMax < Number.POSITIVE_INFINITY) dt = clamp(dt, dtMin, dtMax);
    const conv = causalConv1dUpdate(convState, xBC, convWeight, { bias: convBias, activation });
    const [x, Bm, Cm] = split(narrow(conv.y, wide), [dSsm, gn, gn], -1) as [Tensor, Tensor, Tensor];
    const g = gn / n;
    const next = ssmStep({
      state: widen(ssmState),
      x: reshape(x, [b, h, p]),
      dt,
      A,
      Bm: reshape(Bm, [b, g, n]),
      Cm: reshape(Cm, [b, g, n]),
      D,
    });
    const y = reshape(next.y, [b, dSsm]);
    return {
      y: gate === 'silu' ? narrow(swiGlu(narrow(z, wide), y), zxbcdt.dtype) : y,
      convState: conv.convState,
      ssmState: narrow(next.state, ssmState.dtype),
    };
  });

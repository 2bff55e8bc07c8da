/**
 * AdamW: decoupled-weight-decay Adam (PyTorch's torch.optim.AdamW), IN PLACE on param, m and v — the only
 * kernel that writes into its inputs. Computed in f64; param, m and v are each rounded once to their dtype.
 *   param ← param · (1 − lr·weightDecay)
 *   m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²
 *   param ← param − lr · (m / (1−β1^step)) / (√(v / (1−β2^step)) + eps)        step counts from 1
 * The update reads m and v as stored (rounded to their dtype), so it depends only on the state it leaves behind.
 */
import type { FloatDType, KernelAttrs, KernelInputs } from '@falcon-h1/core-tensor';
import { roundToDType } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
}

/** Updates param, m, v [n] in place from grad [n]. */
export function adamWUpdate(
  param: Float64Array,
  m: Float64Array,
  v: Float64Array,
  grad: Float64Array,
  { lr, beta1, beta2, eps, weightDecay, step }: AdamWOptions,
  dtypes: { param: FloatDType; m: FloatDType; v: FloatDType },
): void {
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    m[i] = roundToDType(beta1 * m[i] + (1 - beta1) * g, dtypes.m);
    v[i] = roundToDType(beta2 * v[i] + (1 - beta2) * g * g, dtypes.v);
    const decayed = param[i] * (1 - lr * weightDecay);
    const update = (lr * (m[i] / biasCorrection1)) / (Math.sqrt(v[i] / biasCorrection2) + eps);
    param[i] = roundToDType(decayed - update, dtypes.param);
  }
}

export function adamW(
  store: BufferStore,
  { param, grad, m, v }: KernelInputs<'AdamW'>,
  attrs: KernelAttrs<'AdamW'>,
): undefined {
  if (attrs.step < 1) throw new Error(`AdamW: step counts from 1, got ${attrs.step}`);
  for (const state of [m, v]) {
    if (state.dtype !== 'f32' && state.dtype !== 'f64')
      throw new Error(`AdamW: m and v must be f32 or f64, got ${state.dtype}`);
  }
  const params = store.floats(param);
  const dtypes = { param: param.dtype as FloatDType, m: m.dtype as FloatDType, v: v.dtype as FloatDType };
  adamWUpdate(params, store.floats(m), store.floats(v), store.floats(grad), attrs, dtypes);
  return undefined;
}

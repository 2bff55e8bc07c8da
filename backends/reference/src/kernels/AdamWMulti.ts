/**
 * AdamWMulti: the AdamW update of every tensor of the lists, in place, each with its own lr and weight decay — the
 * very arithmetic of the per-tensor kernel (adamWUpdate), so the two agree bit for bit.
 */
import type { FloatDType, KernelAttrs, KernelInputs } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';
import { adamWUpdate } from './AdamW.js';

export function adamWMulti(
  store: BufferStore,
  { params, grads, m, v }: KernelInputs<'AdamWMulti'>,
  { lr, weightDecay, beta1, beta2, eps, step }: KernelAttrs<'AdamWMulti'>,
): undefined {
  if (step < 1) throw new Error(`AdamWMulti: step counts from 1, got ${step}`);
  const n = params.length;
  if (grads.length !== n || m.length !== n || v.length !== n || lr.length !== n || weightDecay.length !== n) {
    throw new Error(
      `AdamWMulti: ${n} params, ${grads.length} grads, ${m.length}/${v.length} moments, ${lr.length} lr, ${weightDecay.length} weight decays`,
    );
  }
  for (let i = 0; i < n; i++) {
    for (const state of [m[i]!, v[i]!]) {
      if (state.dtype !== 'f32' && state.dtype !== 'f64')
        throw new Error(`AdamWMulti: m and v must be f32 or f64, got ${state.dtype} (tensor ${i})`);
    }
    const dtypes = {
      param: params[i]!.dtype as FloatDType,
      m: m[i]!.dtype as FloatDType,
      v: v[i]!.dtype as FloatDType,
    };
    adamWUpdate(
      store.floats(params[i]!),
      store.floats(m[i]!),
      store.floats(v[i]!),
      store.floats(grads[i]!),
      { lr: lr[i]!, weightDecay: weightDecay[i]!, beta1, beta2, eps, step },
      dtypes,
    );
  }
  return undefined;
}

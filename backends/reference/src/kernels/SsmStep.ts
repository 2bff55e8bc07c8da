/**
 * SsmStep: one decode step of the scan, in f64.
 *   state [B, H, P, N], x [B, H, P], dt [B, H], A [H], Bm, Cm [B, G, N], D [H]?; head h reads group floor(h/(H/G))
 *   state' = exp(dt·A)·state + dt · x ⊗ Bm
 *   y      = state' · Cm + D · x
 * Outputs y [B, H, P] (x's dtype) and the new state (state's dtype).
 */
import type { KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

/** y [B, H, P], newState [B, H, P, N] ← one recurrence step from state [B, H, P, N]. */
export function ssmStepForward(
  y: Float64Array,
  newState: Float64Array,
  state: Float64Array,
  x: Float64Array,
  dt: Float64Array,
  A: Float64Array,
  Bm: Float64Array,
  Cm: Float64Array,
  D: Float64Array | undefined,
  B: number,
  H: number,
  P: number,
  G: number,
  N: number,
): void {
  const headsPerGroup = H / G;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / headsPerGroup);
      const dtv = dt[b * H + h];
      const decay = Math.exp(dtv * A[h]);
      const bc = (b * G + g) * N;
      for (let p = 0; p < P; p++) {
        const xp = x[(b * H + h) * P + p];
        const s = ((b * H + h) * P + p) * N;
        let acc = 0;
        for (let n = 0; n < N; n++) {
          newState[s + n] = decay * state[s + n] + dtv * xp * Bm[bc + n];
          acc += newState[s + n] * Cm[bc + n];
        }
        y[(b * H + h) * P + p] = acc + (D ? D[h] * xp : 0);
      }
    }
  }
}

export function ssmStep(store: BufferStore, inputs: KernelInputs<'SsmStep'>): KernelOutputs<'SsmStep'> {
  const { state, x, dt, A, Bm, Cm, D } = inputs;
  const [B, H, P, N] = state.shape;
  const G = Bm.shape[1];
  const y = new Float64Array(B * H * P);
  const newState = new Float64Array(B * H * P * N);
  const s = store.floats(state);
  const xs = store.floats(x);
  const dts = store.floats(dt);
  const ds = D && store.floats(D);
  ssmStepForward(y, newState, s, xs, dts, store.floats(A), store.floats(Bm), store.floats(Cm), ds, B, H, P, G, N);
  return { y: store.output(y, x.shape, x.dtype), state: store.output(newState, state.shape, state.dtype) };
}

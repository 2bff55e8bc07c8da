/**
 * SsmScan and SsmScanGrad: the Mamba2 selective scan (SSD) as its plain sequential recurrence, in f64.
 *
 * `chunkSize` is accepted but irrelevant here: the contract defines the scan by its recurrence and lets
 * backends evaluate it in chunks (any chunking gives the same result up to rounding); the oracle runs the
 * recurrence one token at a time.
 *
 * Shapes: x [B, T, H, P], dt [B, T, H], A [H], Bm, Cm [B, T, G, N], D [H]?, initialState [B, H, P, N]?,
 * seqIdx i32 [B, T]?. Head h reads group g = floor(h / (H/G)). Per batch row b and head h, state S [P, N]:
 *   S_{−1} = initialState (zeros when absent)
 *   r_t    = 0 if t > 0 and seqIdx[b,t] ≠ seqIdx[b,t−1] (a new document: the carried state is dropped), else 1
 *   a_t    = exp(dt_t · A_h)
 *   S_t    = r_t · a_t · S_{t−1} + dt_t · x_t ⊗ B_t
 *   y_t    = S_t · C_t + D_h · x_t
 * Outputs y (dt's dtype: x's, or f32 when 16-bit x/B/C come with f32 dt/A/D) and finalState = S_{T−1} (f64 when
 * x is f64, else f32). dy arrives in y's dtype.
 *
 * Backward: the reverse-time adjoint. dS_t = ∂L/∂S_t collects both paths through S_t (into y_t and into S_{t+1}):
 *   dS_{T−1} = dFinalState (zeros when absent) + dy_{T−1} ⊗ C_{T−1}
 *   dS_t     = dy_t ⊗ C_t + r_{t+1} · a_{t+1} · dS_{t+1}
 * then, token by token:
 *   dx_t   = D_h · dy_t + dt_t · dS_t B_t
 *   dB_t  += dt_t · dS_tᵀ x_t                       (summed over the heads of the group)
 *   dC_t  += S_tᵀ dy_t                              (summed over the heads of the group)
 *   ddt_t  = <dS_t, x_t ⊗ B_t> + r_t · A_h · a_t · <S_{t−1}, dS_t>
 *   dA_h  += r_t · dt_t · a_t · <S_{t−1}, dS_t>       (summed over b and t)
 *   dD_h  += <dy_t, x_t>                            (summed over b and t)
 *   dinitialState = a_0 · dS_0                       (r_0 = 1: the initial state always feeds t = 0)
 * The backward keeps every S_t of one batch row ([T, H, P, N] f64) to read S_{t−1} and S_t going backwards.
 */
import type { KernelInputs, KernelOutputs } from '@falcon-h1/core-tensor';
import type { BufferStore } from '../buffer-store.js';

export interface SsmScanArrays {
  x: Float64Array; // [B, T, H, P]
  dt: Float64Array; // [B, T, H]
  A: Float64Array; // [H]
  Bm: Float64Array; // [B, T, G, N]
  Cm: Float64Array; // [B, T, G, N]
  D?: Float64Array; // [H]
  initialState?: Float64Array; // [B, H, P, N]
  seqIdx?: Int32Array; // [B, T]
}

export interface SsmScanDims {
  B: number;
  T: number;
  H: number;
  P: number;
  G: number;
  N: number;
}

/** Whether token t of row b starts a new document (r_t = 0). */
function startsDocument(seqIdx: Int32Array | undefined, b: number, t: number, T: number): boolean {
  return seqIdx !== undefined && t > 0 && seqIdx[b * T + t] !== seqIdx[b * T + t - 1];
}

/**
 * Runs the recurrence over batch row b: writes y_t for every t, leaves S_{T−1} in `state` [H, P, N], and
 * records every S_t into `states` [T, H, P, N] when given.
 */
function scanRow(
  y: Float64Array,
  state: Float64Array,
  states: Float64Array | undefined,
  inp: SsmScanArrays,
  b: number,
  { T, H, P, G, N }: SsmScanDims,
): void {
  const { x, dt, A, Bm, Cm, D, initialState, seqIdx } = inp;
  const headsPerGroup = H / G;
  const stateSize = H * P * N;
  if (initialState) state.set(initialState.subarray(b * stateSize, (b + 1) * stateSize));
  else state.fill(0);
  for (let t = 0; t < T; t++) {
    const reset = startsDocument(seqIdx, b, t, T);
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / headsPerGroup);
      const dtv = dt[(b * T + t) * H + h];
      const decay = Math.exp(dtv * A[h]);
      const bc = ((b * T + t) * G + g) * N; // offset of B_t, C_t
      for (let p = 0; p < P; p++) {
        const xp = x[((b * T + t) * H + h) * P + p];
        const s = (h * P + p) * N;
        let acc = 0;
        for (let n = 0; n < N; n++) {
          const carried = reset ? 0 : decay * state[s + n];
          state[s + n] = carried + dtv * xp * Bm[bc + n];
          acc += state[s + n] * Cm[bc + n];
        }
        y[((b * T + t) * H + h) * P + p] = acc + (D ? D[h] * xp : 0);
      }
    }
    states?.set(state, t * stateSize);
  }
}

/** y [B, T, H, P], finalState [B, H, P, N] ← the scan. */
export function ssmScanForward(y: Float64Array, finalState: Float64Array, inp: SsmScanArrays, dims: SsmScanDims): void {
  const stateSize = dims.H * dims.P * dims.N;
  for (let b = 0; b < dims.B; b++) {
    scanRow(y, finalState.subarray(b * stateSize, (b + 1) * stateSize), undefined, inp, b, dims);
  }
}

export interface SsmScanGrads {
  dx: Float64Array; // [B, T, H, P]
  ddt: Float64Array; // [B, T, H]
  dA: Float64Array; // [H]
  dBm: Float64Array; // [B, T, G, N]
  dCm: Float64Array; // [B, T, G, N]
  dD: Float64Array; // [H]
  dinitialState: Float64Array; // [B, H, P, N]
}

/** Accumulates the gradients of ssmScanForward given dy [B, T, H, P] (and dFinalState) into zeroed `grads`. */
export function ssmScanBackward(
  grads: SsmScanGrads,
  dy: Float64Array,
  dFinalState: Float64Array | undefined,
  inp: SsmScanArrays,
  dims: SsmScanDims,
): void {
  const { B, T, H, P, G, N } = dims;
  const { x, dt, A, Bm, Cm, D, initialState, seqIdx } = inp;
  const { dx, ddt, dA, dBm, dCm, dD, dinitialState } = grads;
  const headsPerGroup = H / G;
  const stateSize = H * P * N;
  const states = new Float64Array(T * stateSize); // S_t of the current row, [T, H, P, N]
  const yScratch = new Float64Array(x.length);
  const lastState = new Float64Array(stateSize);
  const dS = new Float64Array(stateSize); // the adjoint carried into token t, [H, P, N]
  for (let b = 0; b < B; b++) {
    scanRow(yScratch, lastState, states, inp, b, dims);
    if (dFinalState) dS.set(dFinalState.subarray(b * stateSize, (b + 1) * stateSize));
    else dS.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const reset = startsDocument(seqIdx, b, t, T);
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / headsPerGroup);
        const bth = (b * T + t) * H + h;
        const dtv = dt[bth];
        const decay = Math.exp(dtv * A[h]);
        const bc = ((b * T + t) * G + g) * N;
        // S_{t−1} of this head: the previous token's state, or the initial state at t = 0 (zeros when absent).
        const prev = (s: number): number =>
          t > 0 ? states[(t - 1) * stateSize + s] : initialState ? initialState[b * stateSize + s] : 0;
        let prevDotDS = 0; // <S_{t−1}, dS_t>
        for (let p = 0; p < P; p++) {
          const xp = x[bth * P + p];
          const dyp = dy[bth * P + p];
          const s = (h * P + p) * N;
          let dSB = 0; // (dS_t B_t)[p]
          for (let n = 0; n < N; n++) {
            dS[s + n] += dyp * Cm[bc + n]; // dS_t = dy_t ⊗ C_t + (carried from t+1)
            dSB += dS[s + n] * Bm[bc + n];
            dBm[bc + n] += dtv * dS[s + n] * xp;
            dCm[bc + n] += states[t * stateSize + s + n] * dyp;
            prevDotDS += prev(s + n) * dS[s + n];
          }
          dx[bth * P + p] = (D ? D[h] * dyp : 0) + dtv * dSB;
          ddt[bth] += xp * dSB; // <dS_t, x_t ⊗ B_t>
          if (D) dD[h] += dyp * xp;
        }
        if (!reset) {
          ddt[bth] += A[h] * decay * prevDotDS;
          dA[h] += dtv * decay * prevDotDS;
        }
        // Carry to t−1: dS_{t−1} gets r_t · a_t · dS_t.
        for (let s = h * P * N; s < (h + 1) * P * N; s++) dS[s] = reset ? 0 : decay * dS[s];
      }
    }
    // After t = 0 the carry is a_0 · dS_0: the initial state's gradient.
    dinitialState.set(dS, b * stateSize);
  }
}

function arraysOf(
  store: BufferStore,
  { x, dt, A, Bm, Cm, D, initialState, seqIdx }: KernelInputs<'SsmScan'>,
): [SsmScanArrays, SsmScanDims] {
  const [B, T, H, P] = x.shape;
  const [, , G, N] = Bm.shape;
  if (H % G !== 0) throw new Error(`SsmScan: heads (${H}) must be divisible by groups (${G})`);
  const inp: SsmScanArrays = {
    x: store.floats(x),
    dt: store.floats(dt),
    A: store.floats(A),
    Bm: store.floats(Bm),
    Cm: store.floats(Cm),
    D: D && store.floats(D),
    initialState: initialState && store.floats(initialState),
    seqIdx: seqIdx && store.ints(seqIdx),
  };
  return [inp, { B, T, H, P, G, N }];
}

export function ssmScan(store: BufferStore, inputs: KernelInputs<'SsmScan'>): KernelOutputs<'SsmScan'> {
  const [inp, dims] = arraysOf(store, inputs);
  const { B, H, P, N } = dims;
  const y = new Float64Array(inp.x.length);
  const finalState = new Float64Array(B * H * P * N);
  ssmScanForward(y, finalState, inp, dims);
  const { x, dt } = inputs;
  return {
    y: store.output(y, x.shape, dt.dtype),
    finalState: store.output(finalState, [B, H, P, N], x.dtype === 'f64' ? 'f64' : 'f32'),
  };
}

export function ssmScanGrad(store: BufferStore, inputs: KernelInputs<'SsmScanGrad'>): KernelOutputs<'SsmScanGrad'> {
  const { dy, dFinalState, x, dt, A, Bm, Cm, D, initialState } = inputs;
  const [inp, dims] = arraysOf(store, inputs);
  const { B, H, P, N } = dims;
  const grads: SsmScanGrads = {
    dx: new Float64Array(inp.x.length),
    ddt: new Float64Array(inp.dt.length),
    dA: new Float64Array(H),
    dBm: new Float64Array(inp.Bm.length),
    dCm: new Float64Array(inp.Cm.length),
    dD: new Float64Array(H),
    dinitialState: new Float64Array(B * H * P * N),
  };
  ssmScanBackward(grads, store.floats(dy), dFinalState && store.floats(dFinalState), inp, dims);
  const out: KernelOutputs<'SsmScanGrad'> = {
    dx: store.output(grads.dx, x.shape, x.dtype),
    ddt: store.output(grads.ddt, dt.shape, dt.dtype),
    dA: store.output(grads.dA, A.shape, A.dtype),
    dBm: store.output(grads.dBm, Bm.shape, Bm.dtype),
    dCm: store.output(grads.dCm, Cm.shape, Cm.dtype),
  };
  if (D) out.dD = store.output(grads.dD, D.shape, D.dtype);
  if (initialState) {
    out.dinitialState = store.output(grads.dinitialState, initialState.shape, initialState.dtype);
  }
  return out;
}

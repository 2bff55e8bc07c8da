/**
 * Fused kernels against independent facts: hand-computed values, closed forms, and identities that tie kernels
 * together (documents run separately, decode steps vs the whole sequence, RoPE's inverse, AdamW's formula).
 */
import type { DType, TensorInfo } from '@falcon-h1/core-tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../src/index.js';
import { dispose, expectClose, seededRandom, take, tensor, uniform, values } from './helpers.js';

const backend = createReferenceBackend();
const k = backend.kernels;
let live: TensorInfo[] = [];

/** A tensor disposed after the test. */
function input(vals: ArrayLike<number>, shape: number[], dtype: DType = 'f64'): TensorInfo {
  const info = tensor(backend, vals, shape, dtype);
  live.push(info);
  return info;
}

afterEach(() => {
  dispose(backend, ...live);
  live = [];
  expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
});

/** Rows [t0, t1) of time axis 1 of an array shaped [B, T, ...inner], batch row b: shape [1, t1−t0, ...inner]. */
function timeSlice(
  arr: Float64Array | number[],
  T: number,
  inner: number,
  b: number,
  t0: number,
  t1: number,
): number[] {
  return Array.from(arr).slice((b * T + t0) * inner, (b * T + t1) * inner);
}

/** The documents of a seqIdx row as [start, end) runs. */
function documents(ids: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (let t = 0; t < ids.length; t++) {
    if (t === 0 || ids[t] !== ids[t - 1]) runs.push([t, t + 1]);
    else runs[runs.length - 1][1] = t + 1;
  }
  return runs;
}

describe('Softmax', () => {
  it('hand values, stable for large inputs', () => {
    expectClose(
      take(backend, k.Softmax({ x: input([0, Math.log(3), 1000, 1000], [2, 2]) }, {})),
      [0.25, 0.75, 0.5, 0.5],
    );
  });

  it('SoftmaxGrad hand value', () => {
    // y = [1/4, 3/4], dy = [1, 0]: Σ dy·y = 1/4 → dx = [1/4·3/4, 3/4·(−1/4)]
    const dx = k.SoftmaxGrad({ dy: input([1, 0], [2]), y: input([0.25, 0.75], [2]) }, {});
    expectClose(take(backend, dx), [3 / 16, -3 / 16]);
  });
});

describe('RmsNorm', () => {
  it('hand value in f64', () => {
    // mean(x²) = (9 + 16)/2 = 12.5
    const y = k.RmsNorm({ x: input([3, 4], [1, 2]), weight: input([1, 2], [2]) }, { eps: 0 });
    expectClose(take(backend, y), [3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5)]);
  });

  it('rounds the normalised x to its dtype before the weight multiply', () => {
    // x = [1, 5] bf16: r = 1/√13; n0 = 0.277350… → bf16 142/512; 7 · 142/512 = 248.5/128 → ties to even 248/128.
    // (Without the intermediate rounding, 7·0.277350… = 248.51/128 would round to 249/128.)
    // n1 = 1.386750… → bf16 178/128; · 1.
    const y = k.RmsNorm({ x: input([1, 5], [2], 'bf16'), weight: input([7, 1], [2], 'bf16') }, { eps: 0 });
    expect(y.dtype).toBe('bf16');
    expect(take(backend, y)).toEqual([248 / 128, 178 / 128]);
  });

  it('RmsNormGrad returns dweight in the weight dtype', () => {
    const { dx, dweight } = k.RmsNormGrad(
      { dy: input([1, 1], [1, 2], 'f32'), x: input([3, 4], [1, 2], 'f32'), weight: input([1, 2], [2], 'f32') },
      { eps: 0 },
    );
    expect([dx.dtype, dweight.dtype]).toEqual(['f32', 'f32']);
    // dweight = dy ⊙ n = [0.6, 0.8]·√2 (n = x/√12.5), rounded to f32
    expect(take(backend, dweight)).toEqual([Math.fround(3 / Math.sqrt(12.5)), Math.fround(4 / Math.sqrt(12.5))]);
    dispose(backend, dx);
  });
});

describe('RmsNormGated', () => {
  const silu = (v: number) => v / (1 + Math.exp(-v));
  const x = [1, -2, 0.5, 3];
  const z = [0.3, -1, 2, 1];
  const w = [1, 2, 0.5, -1];

  it('normBeforeGate = false: gate, then normalise each group', () => {
    const y = k.RmsNormGated(
      { x: input(x, [1, 4]), z: input(z, [1, 4]), weight: input(w, [4]) },
      {
        eps: 1e-6,
        groupSize: 2,
        normBeforeGate: false,
      },
    );
    const g = x.map((v, i) => v * silu(z[i]));
    const r0 = 1 / Math.sqrt((g[0] ** 2 + g[1] ** 2) / 2 + 1e-6);
    const r1 = 1 / Math.sqrt((g[2] ** 2 + g[3] ** 2) / 2 + 1e-6);
    expectClose(take(backend, y), [w[0] * g[0] * r0, w[1] * g[1] * r0, w[2] * g[2] * r1, w[3] * g[3] * r1]);
  });

  it('normBeforeGate = true: normalise each group, then gate', () => {
    const y = k.RmsNormGated(
      { x: input(x, [1, 4]), z: input(z, [1, 4]), weight: input(w, [4]) },
      {
        eps: 1e-6,
        groupSize: 4,
        normBeforeGate: true,
      },
    );
    const r = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / 4 + 1e-6);
    expectClose(
      take(backend, y),
      x.map((v, i) => w[i] * v * r * silu(z[i])),
    );
  });
});

describe('Rope', () => {
  it('rotates (x[i], x[i+half]) by positions · theta^(−2i/Dh), with f32 angles, cos and sin', () => {
    // Dh = 4: pair (0, 2) turns by pos, pair (1, 3) by pos · 100^(−1/2) = pos/10 — computed in f32 as in
    // transformers: angle = f32(3 · f32(0.1)), then cos/sin rounded to f32.
    const f = Math.fround;
    const x = input([1, 1, 0, 0], [1, 1, 1, 4]);
    const y = take(backend, k.Rope({ x, positions: input([3], [1, 1], 'i32') }, { theta: 100, inverse: false }));
    const a1 = f(3 * f(0.1));
    expectClose(y, [f(Math.cos(3)), f(Math.cos(a1)), f(Math.sin(3)), f(Math.sin(a1))], 1e-15);
    // Not the f64 angle: f32(0.1)·3 differs from 0.3 in the 8th digit.
    expect(Math.abs(y[1]! - Math.cos(0.3))).toBeGreaterThan(1e-9);
  });

  it('inverse undoes it', () => {
    const random = seededRandom(11);
    const [B, T, H, Dh] = [2, 3, 3, 8];
    const xs = uniform(random, B * T * H * Dh);
    const positions = input([0, 7, 123456, 5, 1, 99999], [B, T], 'i32');
    const y = k.Rope({ x: input(xs, [B, T, H, Dh]), positions }, { theta: 1e11, inverse: false });
    const back = k.Rope({ x: y, positions }, { theta: 1e11, inverse: true });
    // cos² + sin² = 1 only to f32 rounding (the pinned f32 cos/sin), so the round trip holds to ~1e-7.
    expectClose(take(backend, back), xs, 2e-7);
    dispose(backend, y);
  });
});

describe('CausalConv1d', () => {
  it('hand values: zero left padding, initial state, bias', () => {
    // K = 2, weight [1, 10]: y_t = 1·x_{t−1} + 10·x_t (+ bias)
    const x = input([1, 2, 3], [1, 3, 1]);
    const weight = input([1, 10], [1, 2]);
    expect(take(backend, k.CausalConv1d({ x, weight }, { activation: 'none' }))).toEqual([10, 21, 32]);
    const initialState = input([5], [1, 1, 1]);
    const bias = input([0.5], [1]);
    const y = k.CausalConv1d({ x, weight, bias, initialState }, { activation: 'none' });
    expect(take(backend, y)).toEqual([15.5, 21.5, 32.5]);
    const silu = k.CausalConv1d({ x, weight }, { activation: 'silu' });
    expectClose(
      take(backend, silu),
      [10, 21, 32].map((u) => u / (1 + Math.exp(-u))),
    );
  });

  it('with seqIdx equals each document alone (the initial state belongs to the first)', () => {
    const random = seededRandom(12);
    const [B, T, C, K] = [2, 7, 3, 4];
    const ids = [
      [0, 0, 0, 1, 2, 2, 2],
      [4, 4, 4, 4, 4, 5, 5],
    ];
    const xs = uniform(random, B * T * C);
    const init = uniform(random, B * C * (K - 1));
    const weight = input(uniform(random, C * K), [C, K]);
    const bias = input(uniform(random, C), [C]);
    const packed = k.CausalConv1d(
      {
        x: input(xs, [B, T, C]),
        weight,
        bias,
        initialState: input(init, [B, C, K - 1]),
        seqIdx: input(ids.flat(), [B, T], 'i32'),
      },
      { activation: 'silu' },
    );
    const y = take(backend, packed);
    for (let b = 0; b < B; b++) {
      for (const [t0, t1] of documents(ids[b])) {
        const initialState =
          t0 === 0 ? input(init.slice(b * C * (K - 1), (b + 1) * C * (K - 1)), [1, C, K - 1]) : undefined;
        const alone = k.CausalConv1d(
          { x: input(timeSlice(xs, T, C, b, t0, t1), [1, t1 - t0, C]), weight, bias, initialState },
          { activation: 'silu' },
        );
        expectClose(take(backend, alone), timeSlice(y, T, C, b, t0, t1), 1e-15);
      }
    }
  });

  it('CausalConv1dUpdate repeated equals CausalConv1d', () => {
    const random = seededRandom(13);
    const [B, T, C, K] = [2, 6, 3, 4];
    const xs = uniform(random, B * T * C);
    const state0 = uniform(random, B * C * K);
    const weight = input(uniform(random, C * K), [C, K]);
    const bias = input(uniform(random, C), [C]);
    // The whole sequence starts from the last K−1 columns of the decode state (its oldest column drops out).
    const initialState = Array.from({ length: B * C }, (_, bc) =>
      Array.from(state0.slice(bc * K + 1, (bc + 1) * K)),
    ).flat();
    const full = take(
      backend,
      k.CausalConv1d(
        { x: input(xs, [B, T, C]), weight, bias, initialState: input(initialState, [B, C, K - 1]) },
        { activation: 'silu' },
      ),
    );
    let convState = tensor(backend, state0, [B, C, K]);
    for (let t = 0; t < T; t++) {
      const column = Array.from({ length: B }, (_, b) => timeSlice(xs, T, C, b, t, t + 1)).flat();
      const step = k.CausalConv1dUpdate({ convState, x: input(column, [B, C]), weight, bias }, { activation: 'silu' });
      const expected = Array.from({ length: B }, (_, b) => timeSlice(full, T, C, b, t, t + 1)).flat();
      expectClose(take(backend, step.y), expected, 1e-15);
      dispose(backend, convState);
      convState = step.convState;
    }
    // The final state holds the last K inputs, oldest first.
    const last = take(backend, convState);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        const lastInputs = Array.from({ length: K }, (_, j) => xs[(b * T + T - K + j) * C + c]);
        expect(last.slice((b * C + c) * K, (b * C + c + 1) * K)).toEqual(lastInputs);
      }
    }
  });
});

describe('SsmScan', () => {
  const [B, T, H, P, G, N] = [2, 7, 4, 3, 2, 5];
  const random = seededRandom(14);
  const arrays = {
    x: uniform(random, B * T * H * P),
    dt: uniform(random, B * T * H, 0.05, 0.8),
    A: uniform(random, H, -1.5, -0.2),
    Bm: uniform(random, B * T * G * N),
    Cm: uniform(random, B * T * G * N),
    D: uniform(random, H),
    init: uniform(random, B * H * P * N),
  };
  const ids = [
    [0, 0, 0, 1, 2, 2, 2],
    [3, 3, 3, 3, 3, 4, 4],
  ];

  function scan(seqIdx: boolean, chunkSize = 4) {
    const { x, dt, A, Bm, Cm, D, init } = arrays;
    return k.SsmScan(
      {
        x: input(x, [B, T, H, P]),
        dt: input(dt, [B, T, H]),
        A: input(A, [H]),
        Bm: input(Bm, [B, T, G, N]),
        Cm: input(Cm, [B, T, G, N]),
        D: input(D, [H]),
        initialState: input(init, [B, H, P, N]),
        seqIdx: seqIdx ? input(ids.flat(), [B, T], 'i32') : undefined,
      },
      { chunkSize },
    );
  }

  it('hand value for one token', () => {
    // S = e^{dt·A}·S0 + dt·x·B;  y = S·C + D·x
    const { y, finalState } = k.SsmScan(
      {
        x: input([2], [1, 1, 1, 1]),
        dt: input([0.5], [1, 1, 1]),
        A: input([-2], [1]),
        Bm: input([3], [1, 1, 1, 1]),
        Cm: input([4], [1, 1, 1, 1]),
        D: input([10], [1]),
        initialState: input([7], [1, 1, 1, 1]),
      },
      { chunkSize: 1 },
    );
    const S = Math.exp(-1) * 7 + 0.5 * 2 * 3;
    expectClose(take(backend, finalState), [S]);
    expectClose(take(backend, y), [S * 4 + 10 * 2]);
  });

  it('equals the quadratic (masked-attention) form of the SSD', () => {
    const { y, finalState } = scan(true);
    const got = take(backend, y);
    dispose(backend, finalState);
    const { x, dt, A, Bm, Cm, D, init } = arrays;
    const seq = ids.flat();
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < H; h++) {
          const g = Math.floor(h / (H / G));
          const cAt = (n: number) => Cm[((b * T + t) * G + g) * N + n];
          // Decay from s to t: exp(A·Σ_{r=s+1..t} dt_r); zero if a document starts in (s, t].
          const decay = (s: number) => {
            let logDecay = 0;
            for (let r = s + 1; r <= t; r++) {
              if (seq[b * T + r] !== seq[b * T + r - 1]) return 0;
              logDecay += A[h] * dt[(b * T + r) * H + h];
            }
            return Math.exp(logDecay);
          };
          for (let p = 0; p < P; p++) {
            let expected = D[h] * x[((b * T + t) * H + h) * P + p];
            for (let s = 0; s <= t; s++) {
              let cb = 0;
              for (let n = 0; n < N; n++) cb += cAt(n) * Bm[((b * T + s) * G + g) * N + n];
              expected += cb * decay(s) * dt[(b * T + s) * H + h] * x[((b * T + s) * H + h) * P + p];
            }
            // The initial state enters through the token −1 → 0 transition: exp(A·Σ_{r=0..t} dt_r).
            let cs = 0;
            for (let n = 0; n < N; n++) cs += cAt(n) * init[((b * H + h) * P + p) * N + n];
            expected += cs * decay(0) * Math.exp(A[h] * dt[(b * T + 0) * H + h]);
            const actual = got[((b * T + t) * H + h) * P + p];
            expect(Math.abs(actual - expected)).toBeLessThan(1e-13);
          }
        }
      }
    }
  });

  it('with seqIdx equals each document alone (the initial state feeds only the first)', () => {
    const { y, finalState } = scan(true);
    const packedY = take(backend, y);
    const packedFinal = take(backend, finalState);
    const { x, dt, A, Bm, Cm, D, init } = arrays;
    const stateSize = H * P * N;
    for (let b = 0; b < B; b++) {
      for (const [t0, t1] of documents(ids[b])) {
        const len = t1 - t0;
        const alone = k.SsmScan(
          {
            x: input(timeSlice(x, T, H * P, b, t0, t1), [1, len, H, P]),
            dt: input(timeSlice(dt, T, H, b, t0, t1), [1, len, H]),
            A: input(A, [H]),
            Bm: input(timeSlice(Bm, T, G * N, b, t0, t1), [1, len, G, N]),
            Cm: input(timeSlice(Cm, T, G * N, b, t0, t1), [1, len, G, N]),
            D: input(D, [H]),
            initialState: t0 === 0 ? input(init.slice(b * stateSize, (b + 1) * stateSize), [1, H, P, N]) : undefined,
          },
          { chunkSize: 4 },
        );
        expectClose(take(backend, alone.y), timeSlice(packedY, T, H * P, b, t0, t1), 1e-15);
        const finalAlone = take(backend, alone.finalState);
        if (t1 === T) expectClose(finalAlone, packedFinal.slice(b * stateSize, (b + 1) * stateSize), 1e-15);
      }
    }
  });

  it('ignores chunkSize', () => {
    const a = scan(true, 1);
    const b = scan(true, 256);
    expect(values(backend, a.y)).toEqual(values(backend, b.y));
    dispose(backend, a.y, a.finalState, b.y, b.finalState);
  });

  it('SsmStep repeated T times equals SsmScan', () => {
    const { y, finalState } = scan(false);
    const scanY = take(backend, y);
    const scanFinal = take(backend, finalState);
    const { x, dt, A, Bm, Cm, D, init } = arrays;
    const perRow = (arr: Float64Array, inner: number, t: number) =>
      Array.from({ length: B }, (_, b) => timeSlice(arr, T, inner, b, t, t + 1)).flat();
    let state = tensor(backend, init, [B, H, P, N]);
    const a = input(A, [H]);
    const d = input(D, [H]);
    for (let t = 0; t < T; t++) {
      const step = k.SsmStep(
        {
          state,
          x: input(perRow(x, H * P, t), [B, H, P]),
          dt: input(perRow(dt, H, t), [B, H]),
          A: a,
          Bm: input(perRow(Bm, G * N, t), [B, G, N]),
          Cm: input(perRow(Cm, G * N, t), [B, G, N]),
          D: d,
        },
        {},
      );
      expectClose(take(backend, step.y), perRow(Float64Array.from(scanY), H * P, t), 1e-15);
      dispose(backend, state);
      state = step.state;
    }
    expectClose(take(backend, state), scanFinal, 1e-15);
  });

  it("gives y dt's dtype (f32 for bf16 x/B/C with f32 dt/A, bf16 when all are bf16) and the final state in f32", () => {
    for (const parameters of ['f32', 'bf16'] as const) {
      const { y, finalState } = k.SsmScan(
        {
          x: input([1.1], [1, 1, 1, 1], 'bf16'),
          dt: input([0.3], [1, 1, 1], parameters),
          A: input([-1], [1], parameters),
          Bm: input([0.7], [1, 1, 1, 1], 'bf16'),
          Cm: input([1], [1, 1, 1, 1], 'bf16'),
        },
        { chunkSize: 64 },
      );
      expect([y.dtype, finalState.dtype]).toEqual([parameters, 'f32']);
      dispose(backend, y, finalState);
    }
  });
});

describe('Attention', () => {
  it('hand value: softmax weights 1/4, 3/4', () => {
    // q·k0 = 0, q·k1 = ln 3 → p = [1/4, 3/4]; out = 4/4 + 3·8/4 = 7
    const out = k.Attention(
      {
        q: input([1, 0], [1, 1, 1, 2]),
        k: input([0, 5, Math.log(3), 5], [1, 2, 1, 2]),
        v: input([4, 8], [1, 2, 1, 1]),
      },
      { scale: 1, causal: false },
    );
    expectClose(take(backend, out), [7]);
  });

  it('maps query heads onto KV heads in contiguous blocks', () => {
    // One key, so each query head outputs its KV head's value: heads 0,1 → KV 0 (=10), heads 2,3 → KV 1 (=20).
    const out = k.Attention(
      { q: input([1, 1, 1, 1], [1, 1, 4, 1]), k: input([1, 1], [1, 1, 2, 1]), v: input([10, 20], [1, 1, 2, 1]) },
      { scale: 1, causal: true },
    );
    expect(take(backend, out)).toEqual([10, 10, 20, 20]);
  });

  it('places queries at the last T key positions; a query with no visible key outputs 0', () => {
    // T = 3 queries, S = 2 keys, causal: query i sees keys j ≤ i − 1 → query 0 sees none.
    const out = k.Attention(
      { q: input([1, 1, 1], [1, 3, 1, 1]), k: input([0, 0], [1, 2, 1, 1]), v: input([2, 4], [1, 2, 1, 1]) },
      { scale: 1, causal: true },
    );
    expect(take(backend, out)).toEqual([0, 2, 3]);
    // T = 1 query, S = 3 keys: the query is the last position and sees all three.
    const decode = k.Attention(
      { q: input([1], [1, 1, 1, 1]), k: input([0, 0, 0], [1, 3, 1, 1]), v: input([3, 6, 9], [1, 3, 1, 1]) },
      { scale: 1, causal: true },
    );
    expectClose(take(backend, decode), [6]);
  });

  it('with seqIdx equals each document alone', () => {
    const random = seededRandom(15);
    const [B, T, Hq, Hkv, Dh, Dv] = [2, 7, 4, 2, 3, 2];
    const ids = [
      [0, 0, 0, 1, 2, 2, 2],
      [3, 3, 3, 3, 3, 4, 4],
    ];
    const q = uniform(random, B * T * Hq * Dh, -2, 2);
    const kk = uniform(random, B * T * Hkv * Dh, -2, 2);
    const v = uniform(random, B * T * Hkv * Dv);
    const seqIdx = input(ids.flat(), [B, T], 'i32');
    const attrs = { scale: 0.7, causal: true };
    const packed = take(
      backend,
      k.Attention(
        {
          q: input(q, [B, T, Hq, Dh]),
          k: input(kk, [B, T, Hkv, Dh]),
          v: input(v, [B, T, Hkv, Dv]),
          qSeqIdx: seqIdx,
          kSeqIdx: seqIdx,
        },
        attrs,
      ),
    );
    for (let b = 0; b < B; b++) {
      for (const [t0, t1] of documents(ids[b])) {
        const len = t1 - t0;
        const alone = k.Attention(
          {
            q: input(timeSlice(q, T, Hq * Dh, b, t0, t1), [1, len, Hq, Dh]),
            k: input(timeSlice(kk, T, Hkv * Dh, b, t0, t1), [1, len, Hkv, Dh]),
            v: input(timeSlice(v, T, Hkv * Dv, b, t0, t1), [1, len, Hkv, Dv]),
          },
          attrs,
        );
        expectClose(take(backend, alone), timeSlice(packed, T, Hq * Dv, b, t0, t1), 1e-15);
      }
    }
  });

  it('requires qSeqIdx and kSeqIdx together', () => {
    const q = input([1], [1, 1, 1, 1]);
    expect(() =>
      k.Attention({ q, k: q, v: q, qSeqIdx: input([0], [1, 1], 'i32') }, { scale: 1, causal: true }),
    ).toThrow(/together/);
  });
});

describe('CrossEntropy', () => {
  it('hand values, ignored rows give 0, f32 output for f32 logits', () => {
    // row 0: logsumexp(0, ln 3) − ln 3 = ln 4 − ln 3; row 1 ignored
    const logits = input([0, Math.log(3), 5, 6], [2, 2], 'f32');
    const labels = input([1, -100], [2], 'i32');
    const loss = k.CrossEntropy({ logits, labels }, { ignoreIndex: -100 });
    expect(loss.dtype).toBe('f32');
    const l3 = Math.fround(Math.log(3)); // the logits were stored in f32
    expect(take(backend, loss)).toEqual([Math.fround(Math.log(1 + Math.exp(l3)) - l3), 0]);
    const dlogits = k.CrossEntropyGrad({ dloss: input([2, 2], [2], 'f32'), logits, labels }, { ignoreIndex: -100 });
    expect(dlogits.dtype).toBe('f32');
    const p1 = Math.exp(l3) / (1 + Math.exp(l3));
    expect(take(backend, dlogits)).toEqual([Math.fround(2 * (1 - p1)), Math.fround(2 * (p1 - 1)), 0, 0]);
  });

  it('throws on a label out of range', () => {
    const logits = input([0, 0], [1, 2]);
    expect(() => k.CrossEntropy({ logits, labels: input([2], [1], 'i32') }, { ignoreIndex: -100 })).toThrow(
      'CrossEntropy: label 2 of row 0 is out of range [0, 2)',
    );
  });
});

describe('AdamW', () => {
  const attrs = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };

  it('one step matches the PyTorch formula, in place', () => {
    const param = input([1, -2], [2]);
    const grad = input([0.5, 0], [2]);
    const m = input([0, 0.1], [2]);
    const v = input([0, 0.04], [2]);
    const result = k.AdamW({ param, grad, m, v }, attrs);
    expect(result).toBeUndefined();
    // element 0: decayed 1·(1 − 0.001) = 0.999; m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25
    //   param = 0.999 − 0.1 · 0.5 / (0.5 + 1e−8)
    // element 1: decayed −2·0.999 = −1.998; m = 0.09, v = 0.03996; m̂ = 0.9, v̂ = 39.96
    //   param = −1.998 − 0.1 · 0.9 / (√39.96 + 1e−8)
    expectClose(values(backend, m), [0.05, 0.09], 1e-15);
    expectClose(values(backend, v), [0.00025, 0.03996], 1e-15);
    expectClose(
      values(backend, param),
      [0.999 - (0.1 * 0.5) / (0.5 + 1e-8), -1.998 - (0.1 * 0.9) / (Math.sqrt(39.96) + 1e-8)],
      1e-15,
    );
    expect(values(backend, grad)).toEqual([0.5, 0]); // the gradient is not touched
  });

  it('a second step uses step = 2 bias corrections', () => {
    const param = input([1], [1]);
    const m = input([0], [1]);
    const v = input([0], [1]);
    k.AdamW({ param, grad: input([0.5], [1]), m, v }, attrs);
    k.AdamW({ param, grad: input([-1], [1]), m, v }, { ...attrs, step: 2 });
    // m = 0.9·0.05 − 0.1 = −0.055; v = 0.999·0.00025 + 0.001 = 0.00124975
    // m̂ = −0.055/0.19 ; v̂ = 0.00124975/0.001999
    const p1 = 0.999 - (0.1 * 0.5) / (0.5 + 1e-8);
    const p2 = p1 * 0.999 - (0.1 * (-0.055 / 0.19)) / (Math.sqrt(0.00124975 / (1 - 0.999 ** 2)) + 1e-8);
    expectClose(values(backend, m), [-0.055], 1e-14);
    expectClose(values(backend, param), [p2], 1e-14);
  });

  it('rounds param to bf16 and the moments to f32', () => {
    const param = input([1], [1], 'bf16');
    const m = input([0], [1], 'f32');
    const v = input([0], [1], 'f32');
    k.AdamW({ param, grad: input([0.5], [1], 'bf16'), m, v }, attrs);
    // 0.999 − 0.1·0.5/(0.5+1e−8) = 0.899000002 → bf16 (ulp 2^−8 in [0.5, 1)): round(0.899·256)/256 = 230/256
    expect(values(backend, param)).toEqual([230 / 256]);
    expect(values(backend, m)).toEqual([Math.fround(0.05)]);
    expect(values(backend, v)).toEqual([Math.fround(0.00025)]);
  });
});

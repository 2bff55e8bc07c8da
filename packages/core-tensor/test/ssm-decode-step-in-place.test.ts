/**
 * ssmDecodeStepInPlace against a plain float64 computation of the Mamba2 decode step written here from the formulas
 * (conv window shift, softplus/clamp of dt, the state recurrence, the gate), on awkward shapes: B = 3, G = 2 groups,
 * N = 5 (not a multiple of 4), K = 3, P = 3, the step's columns at offset 7 of a row with 4 more columns after them.
 * The reference backend's native kernel, the composition over its SsmDecodeStep, and the composition all the way
 * down must each return y and leave exactly the next states in the state variables. Then the input rules.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import {
  type DType,
  dispatchCounts,
  dispose,
  type FusedKernelName,
  resetDispatchCounts,
  type SsmDecodeStepInPlaceOptions,
  type SsmGate,
  setFallbackPolicy,
  ssmDecodeStepInPlace,
  type Tensor,
  tensor,
  tidy,
  useBackend,
  type Variable,
  variable,
  zeros,
} from '../src/index.js';
import { values } from './deterministic-values.js';
import { ssmDecodeStepShapes, ssmDecodeStepValues } from './ssm-decode-step-values.js';

const [B, H, P, G, N, K] = [3, 4, 3, 2, 5, 3];
const D_SSM = H * P;
const CONV = D_SSM + 2 * G * N;
const STEP = D_SSM + CONV + H;
const OFFSET = 7;
const WIDTH = OFFSET + STEP + 4;
const SIZES = { b: B, h: H, p: P, g: G, n: N, k: K };

interface Case {
  zxbcdt: number[];
  convState: number[];
  convWeight: number[];
  convBias: number[];
  ssmState: number[];
  dtBias: number[];
  A: number[];
  D: number[];
}

function makeCase(): Case {
  return { zxbcdt: values(B * WIDTH, 11), ...ssmDecodeStepValues(SIZES, 11) };
}

const silu = (v: number) => v / (1 + Math.exp(-v));
const softplus = (v: number) => (v > 20 ? v : Math.log1p(Math.exp(v)));

/** The decode step in plain float64, from the formulas. */
function expected(c: Case, gate: SsmGate, [dtMin, dtMax]: readonly [number, number]) {
  const y = new Float64Array(B * D_SSM);
  const conv = new Float64Array(B * CONV * K);
  const state = new Float64Array(B * H * P * N);
  for (let b = 0; b < B; b++) {
    const row = (i: number) => c.zxbcdt[b * WIDTH + OFFSET + i]!;
    const xbc = new Float64Array(CONV);
    for (let ch = 0; ch < CONV; ch++) {
      let u = c.convBias[ch]!;
      for (let k = 0; k < K; k++) {
        const v = k < K - 1 ? c.convState[(b * CONV + ch) * K + k + 1]! : row(D_SSM + ch);
        conv[(b * CONV + ch) * K + k] = v;
        u += c.convWeight[ch * K + k]! * v;
      }
      xbc[ch] = silu(u);
    }
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / (H / G));
      const dt = Math.min(Math.max(softplus(row(D_SSM + CONV + h) + c.dtBias[h]!), dtMin), dtMax);
      const decay = Math.exp(dt * c.A[h]!);
      for (let p = 0; p < P; p++) {
        const x = xbc[h * P + p]!;
        let acc = 0;
        for (let n = 0; n < N; n++) {
          const i = ((b * H + h) * P + p) * N + n;
          state[i] = decay * c.ssmState[i]! + dt * x * xbc[D_SSM + g * N + n]!;
          acc += state[i]! * xbc[D_SSM + G * N + g * N + n]!;
        }
        const out = acc + c.D[h]! * x;
        y[b * D_SSM + h * P + p] = gate === 'silu' ? out * silu(row(h * P + p)) : out;
      }
    }
  }
  return { y, conv, state };
}

function maxRelative(actual: ArrayLike<number>, want: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const error = Math.abs(actual[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    worst = Number.isNaN(error) ? Number.POSITIVE_INFINITY : Math.max(worst, error);
  }
  return worst;
}

/** Runs the step on f64 inputs; returns y and the state variables' contents after the call. */
function run(c: Case, options: SsmDecodeStepInPlaceOptions) {
  const convState = variable(tensor(c.convState, [B, CONV, K], 'f64'));
  const ssmState = variable(tensor(c.ssmState, [B, H, P, N], 'f64'));
  try {
    const y = tidy(() =>
      ssmDecodeStepInPlace(
        {
          zxbcdt: tensor(c.zxbcdt, [B, WIDTH], 'f64'),
          convState,
          convWeight: tensor(c.convWeight, [CONV, K], 'f64'),
          convBias: tensor(c.convBias, [CONV], 'f64'),
          ssmState,
          dtBias: tensor(c.dtBias, [H], 'f64'),
          A: tensor(c.A, [H], 'f64'),
          D: tensor(c.D, [H], 'f64'),
        },
        options,
      ),
    );
    const out = {
      y: y.dataSync() as Float64Array,
      conv: convState.dataSync() as Float64Array,
      state: ssmState.dataSync() as Float64Array,
    };
    y.dispose();
    return out;
  } finally {
    dispose([convState, ssmState]);
  }
}

const PATHS: Array<[string, 'none' | 'all' | FusedKernelName[], 'native' | 'fallback']> = [
  ['the native kernel', 'none', 'native'],
  ['the composition over SsmDecodeStep', ['SsmDecodeStepInPlace'], 'fallback'],
  ['the composition all the way down', 'all', 'fallback'],
];

describe('ssmDecodeStepInPlace', () => {
  beforeAll(() => useBackend(createReferenceBackend()));
  afterEach(() => setFallbackPolicy('none'));

  describe.each(PATHS)('%s', (_, policy, path) => {
    it.each([
      ['silu', [0, Number.POSITIVE_INFINITY]],
      ['none', [0.3, 1.1]],
    ] as Array<[SsmGate, [number, number]]>)(
      'gate %s, dt clamped to %j: y and both states as in float64',
      (gate, limit) => {
        const c = makeCase();
        const want = expected(c, gate, limit);
        setFallbackPolicy(policy);
        resetDispatchCounts();
        const got = run(c, { gate, timeStepLimit: limit, offset: OFFSET });
        expect(dispatchCounts().SsmDecodeStepInPlace?.[path]).toBe(1);
        expect(maxRelative(got.y, want.y)).toBeLessThan(1e-12);
        expect(maxRelative(got.conv, want.conv)).toBe(0);
        expect(maxRelative(got.state, want.state)).toBeLessThan(1e-12);
      },
    );
  });

  it('reads the columns from offset 0 of a row that holds only the step', () => {
    setFallbackPolicy(['SsmDecodeStepInPlace']);
    const convState = variable(zeros([1, CONV, K], 'f32'));
    const ssmState = variable(zeros([1, H, P, N], 'f32'));
    const packed = values(STEP, 3);
    const y = tidy(() =>
      ssmDecodeStepInPlace({
        zxbcdt: tensor(packed, [1, STEP], 'f32'),
        convState,
        convWeight: tensor(values(CONV * K, 4), [CONV, K], 'f32'),
        ssmState,
        dtBias: zeros([H], 'f32'),
        A: tensor(new Array(H).fill(-1), [H], 'f32'),
      }),
    );
    // The newest conv column is the step's xBC, stored as it came (f32 values, no rounding).
    const conv = convState.dataSync() as Float32Array;
    for (let ch = 0; ch < CONV; ch++) expect(conv[ch * K + K - 1]).toBe(Math.fround(packed[D_SSM + ch]!));
    expect(y.dtype).toBe('f32');
    dispose([y, convState, ssmState]);
  });
});

type Name = 'zxbcdt' | 'convState' | 'convWeight' | 'convBias' | 'ssmState' | 'dtBias' | 'A' | 'D';

function attempt(
  overrides: Partial<Record<Name, [number[], DType]>> = {},
  options: SsmDecodeStepInPlaceOptions = {},
  asVariables = true,
): void {
  const spec: Record<Name, [number[], DType]> = {
    zxbcdt: [[B, WIDTH], 'bf16'],
    ...ssmDecodeStepShapes(SIZES, 'bf16'),
    ...overrides,
  };
  const states: Variable[] = [];
  try {
    tidy(() => {
      const t = Object.fromEntries(
        Object.entries(spec).map(([name, [shape, dtype]]) => [name, zeros(shape, dtype)]),
      ) as Record<Name, Tensor>;
      if (asVariables) states.push(variable(t.convState), variable(t.ssmState));
      const [convState, ssmState] = (asVariables ? states : [t.convState, t.ssmState]) as Variable[];
      ssmDecodeStepInPlace({ ...t, convState: convState!, ssmState: ssmState! }, options);
    });
  } finally {
    dispose(states);
  }
}

describe('ssmDecodeStepInPlace inputs', () => {
  beforeAll(() => useBackend(createReferenceBackend()));

  it("accepts a wide row with the step anywhere in it, an exact one, and a 16-bit state in the row's dtype", () => {
    expect(() => attempt({}, { offset: OFFSET })).not.toThrow();
    expect(() => attempt({ ssmState: [[B, H, P, N], 'bf16'] }, { offset: OFFSET })).not.toThrow();
    expect(() => attempt({}, { offset: WIDTH - STEP })).not.toThrow();
    expect(() => attempt({ zxbcdt: [[B, STEP], 'bf16'] })).not.toThrow();
  });

  it('refuses an offset that is not a non-negative integer, or a row too narrow for it', () => {
    expect(() => attempt({}, { offset: -1 })).toThrow(/offset must be a non-negative integer, got -1/);
    expect(() => attempt({}, { offset: 1.5 })).toThrow(/offset must be a non-negative integer, got 1.5/);
    expect(() => attempt({}, { offset: WIDTH - STEP + 1 })).toThrow(
      new RegExp(
        `zxbcdt must be \\[3, W\\] with W ≥ offset \\+ dSsm \\+ convDim \\+ H = 12 \\+ 12 \\+ 32 \\+ 4 = 60, got \\[3, ${WIDTH}\\]`,
      ),
    );
  });

  it('refuses states that are not variables, or of the wrong shape or dtype', () => {
    expect(() => attempt({}, {}, false)).toThrow(
      /convState bf16\[3, 32, 3\] must be a Variable \(it is written in place\)/,
    );
    expect(() => attempt({ ssmState: [[B, H, P, N], 'f16'] })).toThrow(
      /ssmDecodeStepInPlace: ssmState must be f32\[3, 4, 3, 5\] or bf16\[3, 4, 3, 5\] \(a 16-bit state has the activations' dtype, bf16\), got f16\[3, 4, 3, 5\]/,
    );
    expect(() => attempt({ convState: [[B, CONV, K], 'f32'] })).toThrow(/convState must be bf16\[3, 32, 3\], got f32/);
    expect(() => attempt({ convState: [[2, CONV, K], 'bf16'] })).toThrow(/convState must be bf16\[3, 32, 3\]/);
    expect(() => attempt({ zxbcdt: [[B, WIDTH], 'i32'] })).toThrow(/zxbcdt must be float \[B, W\], got i32/);
  });
});

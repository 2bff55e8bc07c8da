/**
 * parallelMixersDecodeStep against its definition: ssmDecodeStepInPlace (gate 'silu') then attentionDecodeStep
 * (prefix = y), the two ops called one after the other on identical copies of the states. The output, both SSM
 * states and the KV cache must be equal BIT FOR BIT — on the reference backend's native kernel, on the composition
 * over the two in-place kernels, and on the composition all the way down (the two ops under the same policy) — in f32
 * and bf16, B = 1 and 3, odd sizes (H 4, P 3, G 2, N 5, K 3; Hq 6, Hkv 2, Dh 6, L 7), the SSM's columns before the
 * attention's and after them (offsets ≠ 0, columns left over on both sides), a cache with empty slots, a second
 * document and a row that writes no slot. Then the input rules.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import * as ops from '../src/index.js';
import { values } from './deterministic-values.js';
import { ssmDecodeStepShapes, ssmDecodeStepValues } from './ssm-decode-step-values.js';

const [H, P, G, N, K] = [4, 3, 2, 5, 3];
const D_SSM = H * P;
const CONV = D_SSM + 2 * G * N;
const SSM_STEP = D_SSM + CONV + H; // 48
const [HQ, HKV, DH, L] = [6, 2, 6, 7];
const ATTENTION_STEP = (HQ + 2 * HKV) * DH; // 60

/** Where each step's columns sit in the packed row, and the row's width (columns left over before, between, after). */
interface Layout {
  name: string;
  ssmOffset: number;
  attentionOffset: number;
  width: number;
}
const SSM_FIRST: Layout = { name: 'SSM columns first', ssmOffset: 5, attentionOffset: 55, width: 55 + 60 + 3 };
const ATTENTION_FIRST: Layout = {
  name: 'attention columns first',
  ssmOffset: 64,
  attentionOffset: 3,
  width: 64 + 48 + 4,
};

// Row 0: document 0 in slots 0…3 (the new token at slot 3), empty slots after. Row 1: a second document (5) after
// another one's slots, the new token at slot 4. Row 2: no slot written (slot −1), it attends to its cache as it is.
const ROWS = [
  { position: 3, slot: 3, doc: 0, kDocs: [0, 0, 0, 0, -1, -1, -1] },
  { position: 2, slot: 4, doc: 5, kDocs: [4, 4, 5, 5, 5, -1, -1] },
  { position: 3, slot: -1, doc: 2, kDocs: [2, 2, 2, -1, -1, -1, -1] },
];

/** The op's tensor inputs, by name. */
type Name =
  | 'qkv'
  | 'convState'
  | 'convWeight'
  | 'convBias'
  | 'ssmState'
  | 'dtBias'
  | 'A'
  | 'D'
  | 'positions'
  | 'keys'
  | 'values'
  | 'slots'
  | 'qSeqIdx'
  | 'kSeqIdx';

/** The step's float inputs as host values (drawn once, so the fused and the separate runs see the same). */
type Host = { b: number; layout: Layout } & Record<
  Exclude<Name, 'positions' | 'slots' | 'qSeqIdx' | 'kSeqIdx'>,
  number[]
>;

function makeHost(b: number, layout: Layout): Host {
  const cache = b * L * HKV * DH;
  return {
    b,
    layout,
    qkv: values(b * layout.width, 31),
    ...ssmDecodeStepValues({ b, h: H, p: P, g: G, n: N, k: K }, 31),
    keys: values(cache, 39),
    values: values(cache, 40),
  };
}

interface Outcome {
  /** The SSM state and the keys before the call (to see that the step wrote them). */
  ssmStateBefore: ArrayLike<number | bigint>;
  keysBefore: ArrayLike<number | bigint>;
  out: ArrayLike<number | bigint>;
  convState: ArrayLike<number | bigint>;
  ssmState: ArrayLike<number | bigint>;
  keys: ArrayLike<number | bigint>;
  values: ArrayLike<number | bigint>;
}

/**
 * Runs the step on fresh tensors and state variables made from `host` in `dtype` (the SSM states f32): fused, or as
 * the two ops in turn. Returns the output and the four written inputs' contents after the call. `smuggledGate`
 * passes a gate the fused op's signature does not have (as plain JavaScript could).
 */
function run(host: Host, dtype: 'f32' | 'bf16', fused: boolean, scale?: number, smuggledGate?: 'none'): Outcome {
  const { b, layout } = host;
  const rows = ROWS.slice(0, b);
  const [convState, ssmState, keys, vals] = ops.tidy(() => [
    ops.variable(ops.tensor(host.convState, [b, CONV, K], dtype)),
    ops.variable(ops.tensor(host.ssmState, [b, H, P, N], 'f32')),
    ops.variable(ops.tensor(host.keys, [b, L, HKV, DH], dtype)),
    ops.variable(ops.tensor(host.values, [b, L, HKV, DH], dtype)),
  ]) as [ops.Variable, ops.Variable, ops.Variable, ops.Variable];
  const ssmStateBefore = ssmState.dataSync();
  const keysBefore = keys.dataSync();
  try {
    const out = ops.tidy(() => {
      const qkv = ops.tensor(host.qkv, [b, layout.width], dtype);
      const ssm = {
        convState,
        convWeight: ops.tensor(host.convWeight, [CONV, K], dtype),
        convBias: ops.tensor(host.convBias, [CONV], dtype),
        ssmState,
        dtBias: ops.tensor(host.dtBias, [H], 'f32'),
        A: ops.tensor(host.A, [H], 'f32'),
        D: ops.tensor(host.D, [H], 'f32'),
      };
      const attention = {
        positions: ops.tensor(
          rows.map((r) => r.position),
          [b],
          'i32',
        ),
        keys,
        values: vals,
        slots: ops.tensor(
          rows.map((r) => r.slot),
          [b],
          'i32',
        ),
        qSeqIdx: ops.tensor(
          rows.map((r) => r.doc),
          [b],
          'i32',
        ),
        kSeqIdx: ops.tensor(
          rows.flatMap((r) => r.kDocs),
          [b, L],
          'i32',
        ),
      };
      const ssmOptions = { timeStepLimit: [0.05, 1.5] as [number, number], offset: layout.ssmOffset };
      const attentionOptions = { heads: HQ, kvHeads: HKV, theta: 1e4, scale, offset: layout.attentionOffset };
      if (fused) {
        const ssmGate = smuggledGate ? ({ ...ssmOptions, gate: smuggledGate } as typeof ssmOptions) : ssmOptions;
        return ops.parallelMixersDecodeStep({ qkv, ssm, attention }, { ssm: ssmGate, attention: attentionOptions });
      }
      const y = ops.ssmDecodeStepInPlace({ ...ssm, zxbcdt: qkv }, { ...ssmOptions, gate: 'silu' });
      return ops.attentionDecodeStep({ ...attention, qkv, prefix: y }, attentionOptions);
    });
    expect(out.dtype).toBe(dtype);
    expect(out.shape).toEqual([b, D_SSM + HQ * DH]);
    const outcome = {
      ssmStateBefore,
      keysBefore,
      out: out.dataSync(),
      convState: convState.dataSync(),
      ssmState: ssmState.dataSync(),
      keys: keys.dataSync(),
      values: vals.dataSync(),
    };
    out.dispose();
    return outcome;
  } finally {
    ops.dispose([convState, ssmState, keys, vals]);
  }
}

const PATHS: Array<[string, 'none' | 'all' | ops.FusedKernelName[], Record<string, 'native' | 'fallback'>]> = [
  ['the native kernel', 'none', { ParallelMixersDecodeStep: 'native' }],
  [
    'the composition over the two in-place kernels',
    ['ParallelMixersDecodeStep'],
    { ParallelMixersDecodeStep: 'fallback', SsmDecodeStepInPlace: 'native', AttentionDecodeStep: 'native' },
  ],
  [
    'the composition all the way down',
    'all',
    { ParallelMixersDecodeStep: 'fallback', SsmDecodeStepInPlace: 'fallback', AttentionDecodeStep: 'fallback' },
  ],
];

const CASES: Array<{ dtype: 'f32' | 'bf16'; b: number; layout: Layout; scale?: number }> = [
  { dtype: 'f32', b: 1, layout: SSM_FIRST },
  { dtype: 'f32', b: 3, layout: ATTENTION_FIRST, scale: 0.3 },
  { dtype: 'bf16', b: 3, layout: SSM_FIRST, scale: 0.3 },
  { dtype: 'bf16', b: 1, layout: ATTENTION_FIRST },
];

describe('parallelMixersDecodeStep equals ssmDecodeStepInPlace then attentionDecodeStep, bit for bit', () => {
  beforeAll(() => ops.useBackend(createReferenceBackend()));
  afterEach(() => ops.setFallbackPolicy('none'));

  describe.each(PATHS)('%s', (_, policy, paths) => {
    it.each(CASES)('$dtype, B = $b, $layout.name, scale $scale', ({ dtype, b, layout, scale }) => {
      const host = makeHost(b, layout);
      ops.setFallbackPolicy(policy);
      const before = ops.memory().numTensors;
      ops.resetDispatchCounts();
      const fused = run(host, dtype, true, scale);
      const counts = ops.dispatchCounts();
      for (const [kernel, path] of Object.entries(paths)) expect(counts[kernel]?.[path], kernel).toBe(1);
      if (policy === 'none') expect(counts.SsmDecodeStepInPlace).toBeUndefined();
      expect(ops.memory().numTensors).toBe(before);
      const separate = run(host, dtype, false, scale);
      expect(fused.out).toEqual(separate.out);
      expect(fused.convState).toEqual(separate.convState);
      expect(fused.ssmState).toEqual(separate.ssmState);
      expect(fused.keys).toEqual(separate.keys);
      expect(fused.values).toEqual(separate.values);
      // The step did write: the SSM state and the cache changed.
      expect(fused.ssmState).not.toEqual(fused.ssmStateBefore);
      expect(fused.keys).not.toEqual(fused.keysBefore);
    });
  });

  it('gates with silu even when plain JavaScript passes another gate', () => {
    const host = makeHost(3, SSM_FIRST);
    expect(run(host, 'f32', true, undefined, 'none').out).toEqual(run(host, 'f32', false).out);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Input rules
// ---------------------------------------------------------------------------------------------------------------

const B = 3;
const SIZES = { b: B, h: H, p: P, g: G, n: N, k: K };
const OPTIONS: ops.ParallelMixersDecodeStepOptions = {
  ssm: { offset: SSM_FIRST.ssmOffset },
  attention: { heads: HQ, kvHeads: HKV, theta: 1e4, offset: SSM_FIRST.attentionOffset },
};

/** Calls the op on zeros of the given shapes (defaults: a valid bf16 step, SSM columns first). */
function attempt(
  overrides: Partial<Record<Name, [number[], ops.DType]>> = {},
  options: ops.ParallelMixersDecodeStepOptions = OPTIONS,
  plain: readonly Name[] = [],
  elsewhere?: Name,
): void {
  const spec: Record<Name, [number[], ops.DType]> = {
    qkv: [[B, SSM_FIRST.width], 'bf16'],
    ...ssmDecodeStepShapes(SIZES, 'bf16'),
    positions: [[B], 'i32'],
    keys: [[B, L, HKV, DH], 'bf16'],
    values: [[B, L, HKV, DH], 'bf16'],
    slots: [[B], 'i32'],
    qSeqIdx: [[B], 'i32'],
    kSeqIdx: [[B, L], 'i32'],
    ...overrides,
  };
  const other = createReferenceBackend();
  const states: ops.Variable[] = [];
  try {
    ops.tidy(() => {
      const t = Object.fromEntries(
        Object.entries(spec).map(([name, [shape, dtype]]) => [
          name,
          ops.zeros(shape, dtype, name === elsewhere ? other : undefined),
        ]),
      ) as Record<Name, ops.Tensor>;
      const written = (name: 'convState' | 'ssmState' | 'keys' | 'values'): ops.Variable => {
        if (plain.includes(name)) return t[name] as ops.Variable;
        const v = ops.variable(t[name]);
        states.push(v);
        return v;
      };
      ops.parallelMixersDecodeStep(
        {
          qkv: t.qkv,
          ssm: { ...t, convState: written('convState'), ssmState: written('ssmState') },
          attention: { ...t, keys: written('keys'), values: written('values') },
        },
        options,
      );
    });
  } finally {
    ops.dispose(states);
    other.dispose?.();
  }
}

describe('parallelMixersDecodeStep inputs', () => {
  beforeAll(() => ops.useBackend(createReferenceBackend()));

  it('accepts both orders of the column ranges, a row of exactly the columns read, f32 and a 16-bit state', () => {
    expect(() => attempt()).not.toThrow();
    expect(() => attempt({ ssmState: [[B, H, P, N], 'bf16'] })).not.toThrow();
    expect(() => attempt({ qkv: [[B, SSM_FIRST.attentionOffset + ATTENTION_STEP], 'bf16'] })).not.toThrow();
    expect(() =>
      attempt(
        { qkv: [[B, ATTENTION_FIRST.width], 'bf16'] },
        {
          ssm: { offset: ATTENTION_FIRST.ssmOffset },
          attention: { ...OPTIONS.attention, offset: ATTENTION_FIRST.attentionOffset },
        },
      ),
    ).not.toThrow();
    const f32: Partial<Record<Name, [number[], ops.DType]>> = {
      qkv: [[B, SSM_FIRST.width], 'f32'],
      ...ssmDecodeStepShapes(SIZES, 'f32'),
      keys: [[B, L, HKV, DH], 'f32'],
      values: [[B, L, HKV, DH], 'f32'],
    };
    expect(() => attempt(f32)).not.toThrow();
  });

  it('refuses states and a cache that are not Variables, naming the step', () => {
    expect(() => attempt({}, OPTIONS, ['ssmState'])).toThrow(
      /parallelMixersDecodeStep \(SSM step\): ssmState f32\[3, 4, 3, 5\] must be a Variable \(it is written in place\)/,
    );
    expect(() => attempt({}, OPTIONS, ['values'])).toThrow(
      /parallelMixersDecodeStep \(attention step\): values bf16\[3, 7, 2, 6\] must be a Variable/,
    );
  });

  it('refuses a qkv too narrow for either column range, naming the range', () => {
    const width = SSM_FIRST.attentionOffset + ATTENTION_STEP - 1;
    expect(() => attempt({ qkv: [[B, width], 'bf16'] })).toThrow(
      /\(attention step\): qkv must be a float \[3, W\] with W ≥ offset \+ \(6 \+ 2·2\) heads of 6 = 55 \+ 60, got bf16\[3, 114\]/,
    );
    const attentionFirst = {
      ssm: { offset: ATTENTION_FIRST.ssmOffset },
      attention: { ...OPTIONS.attention, offset: ATTENTION_FIRST.attentionOffset },
    };
    expect(() => attempt({ qkv: [[B, ATTENTION_FIRST.ssmOffset + SSM_STEP - 1], 'bf16'] }, attentionFirst)).toThrow(
      /\(SSM step\): qkv must be \[3, W\] with W ≥ offset \+ dSsm \+ convDim \+ H = 64 \+ 12 \+ 32 \+ 4 = 112, got \[3, 111\]/,
    );
    expect(() => attempt({}, { ...OPTIONS, ssm: { offset: -1 } })).toThrow(
      /\(SSM step\): offset must be a non-negative integer, got -1/,
    );
    expect(() => attempt({}, { ...OPTIONS, attention: { ...OPTIONS.attention, offset: 2.5 } })).toThrow(
      /\(attention step\): offset must be a non-negative integer, got 2.5/,
    );
  });

  it('refuses a batch that the SSM states, the cache and qkv do not share', () => {
    expect(() => attempt({ convState: [[2, CONV, K], 'bf16'], ssmState: [[2, H, P, N], 'f32'] })).toThrow(
      /\(SSM step\): qkv must be \[2, W\] with W ≥ .*, got \[3, 118\]/,
    );
    expect(() => attempt({ keys: [[2, L, HKV, DH], 'bf16'], values: [[2, L, HKV, DH], 'bf16'] })).toThrow(
      /\(attention step\): qkv must be a float \[2, W\] .*, got bf16\[3, 118\]/,
    );
    expect(() => attempt({ kSeqIdx: [[B, L + 1], 'i32'] })).toThrow(/kSeqIdx must be i32\[3, 7\], got i32\[3, 8\]/);
  });

  it('refuses mixed dtypes and inputs on two backends', () => {
    expect(() => attempt({ keys: [[B, L, HKV, DH], 'f32'] })).toThrow(/qkv is bf16, keys f32, values bf16: one dtype/);
    expect(() => attempt({ ssmState: [[B, H, P, N], 'f16'] })).toThrow(
      /\(SSM step\): ssmState must be f32\[3, 4, 3, 5\] or bf16\[3, 4, 3, 5\] .*, got f16\[3, 4, 3, 5\]/,
    );
    expect(() => attempt({}, OPTIONS, [], 'kSeqIdx')).toThrow(
      /parallelMixersDecodeStep: every input must live on one backend/,
    );
    expect(() => attempt({}, OPTIONS, [], 'dtBias')).toThrow(
      /parallelMixersDecodeStep: every input must live on one backend/,
    );
  });

  it('always gates with silu: the gate is not an option', () => {
    // @ts-expect-error the SSM step's gate is fixed to 'silu' by the signature
    const smuggled: ops.ParallelMixersDecodeStepOptions['ssm'] = { gate: 'none' };
    expect(smuggled).toEqual({ gate: 'none' });
  });

  it("maps the kernel's attrs to the two steps' and back; a gate other than silu cannot be joined", () => {
    const steps = {
      ssm: { activation: 'silu', gate: 'silu', dtMin: 0.1, dtMax: 2, offset: 7 } as const,
      attention: { heads: 6, kvHeads: 2, theta: 1e4, scale: 0.25, offset: 55 },
    };
    const attrs = ops.joinParallelMixersAttrs(steps);
    expect(attrs).toEqual({
      activation: 'silu',
      dtMin: 0.1,
      dtMax: 2,
      ssmOffset: 7,
      heads: 6,
      kvHeads: 2,
      theta: 1e4,
      scale: 0.25,
      attentionOffset: 55,
    });
    expect(ops.splitParallelMixersAttrs(attrs)).toEqual(steps);
    expect(() => ops.joinParallelMixersAttrs({ ...steps, ssm: { ...steps.ssm, gate: 'none' } })).toThrow(
      /the SSM step's gate is 'silu', got 'none'/,
    );
  });
});

/**
 * Cases for ParallelMixersDecodeStep, Falcon-H1's parallel mixers' decode step in one kernel: the SSM step
 * (SsmDecodeStepInPlace, gate silu) and the attention step (AttentionDecodeStep, prefix = the SSM's y) reading their
 * columns of one packed row. Every case compares the output [y | o] AND the conv state, the SSM state and the KV cache
 * after the call. Shapes: B = 1, 3 and 5; the 0.5B layer (H 24, P 64, N 128, G 1, K 4; Hq 8, Hkv 2, Dh 64 — CUDA's
 * tensor-core attention path) in its merged projection's layout (the SSM's columns at 0, q|k|v after them) and with
 * both offsets ≠ 0 in the other order; Dh 128; small odd configs (G 2, N 20, K 3, P 5; H 3, P 4, N 5); the SSM's
 * columns before the attention's and after them, with columns left over before, between and after; caches with empty
 * slots, a second document in a row, a row that writes no slot (slot −1) and a cache long enough for several splits
 * on GPUs. decode-chains.ts runs two steps in a row, each on the states the one before wrote. Then with a 16-bit SSM
 * state (ssm-state.ts; bf16 and f16): the 0.5B layer at B = 1 and 5 and a small odd one, both offsets odd.
 */
import type { Tensor } from '@falcon-h1/core-tensor';
import * as ops from '@falcon-h1/core-tensor';
import type { CaseInput, ConformanceCase } from '../case.js';
import { floatIn, intValues, stateIn } from '../case-inputs.js';
import type { Rng } from '../random.js';
import { type DecodeCache, FIVE_ROWS_LONG, FIVE_ROWS_SHORT, HALF_B_CACHE, row } from './decode-caches.js';
import type { SsmStepSpec } from './ssm-decode-step.js';
import { type SixteenBitState, sixteenBitStateCase, ssmStateIn, storedSsmState } from './ssm-state.js';

/** The two mixers' sizes: the SSM's (as ssmDecodeStepInPlace's cases) and the attention's (its cache's L slots). */
export interface MixersSpec {
  ssm: SsmStepSpec;
  attention: { hq: number; hkv: number; dh: number; theta?: number; scaleBy?: number };
}

/** The SSM step's columns [z | x B C | dt] and the attention step's [q | k | v] in one packed row. */
export function mixersWidths({ ssm, attention }: MixersSpec): { ssm: number; attention: number } {
  const dSsm = ssm.h * ssm.p;
  return {
    ssm: dSsm + dSsm + 2 * ssm.g * ssm.n + ssm.h,
    attention: (attention.hq + 2 * attention.hkv) * attention.dh,
  };
}

/** The mixers' weights and decode states for B rows and L cache slots (the SSM's in the state dtype or 16-bit). */
export function mixersInputs(rng: Rng, b: number, l: number, { ssm, attention: a }: MixersSpec): CaseInput[] {
  const convDim = ssm.h * ssm.p + 2 * ssm.g * ssm.n;
  const list: CaseInput[] = [
    floatIn(rng, 'convState', [b, convDim, ssm.k]),
    floatIn(rng, 'convWeight', [convDim, ssm.k], -0.7, 0.7),
    ssmStateIn(rng, [b, ssm.h, ssm.p, ssm.n], ssm.state),
    stateIn(rng, 'dtBias', [ssm.h], -2, -0.5),
    stateIn(rng, 'A', [ssm.h], -2.5, -0.2),
    floatIn(rng, 'keys', [b, l, a.hkv, a.dh], -2, 2),
    floatIn(rng, 'values', [b, l, a.hkv, a.dh]),
  ];
  if (ssm.bias) list.push(floatIn(rng, 'convBias', [convDim], -0.3, 0.3));
  if (ssm.d) list.push(stateIn(rng, 'D', [ssm.h], 0.5, 1.5));
  return list;
}

/** The written inputs as variables (the case's tensors are the initial contents). */
export interface MixersStates {
  convState: ops.Variable;
  ssmState: ops.Variable;
  keys: ops.Variable;
  values: ops.Variable;
}

export function mixersStates(t: Readonly<Record<string, Tensor>>): MixersStates {
  return {
    convState: ops.variable(t.convState!),
    ssmState: ops.variable(t.ssmState!),
    keys: ops.variable(t.keys!),
    values: ops.variable(t.values!),
  };
}

/**
 * The states after the step(s), as plain tensors that the case's scope owns (a 16-bit SSM state as storedSsmState
 * returns it); the variables are freed here.
 */
export function mixersStatesAfter(states: MixersStates, state?: SixteenBitState): Record<keyof MixersStates, Tensor> {
  const copies = {
    convState: ops.copy(states.convState),
    ssmState: storedSsmState(ops.copy(states.ssmState), state),
    keys: ops.copy(states.keys),
    values: ops.copy(states.values),
  };
  ops.dispose(Object.values(states));
  return copies;
}

/** One ParallelMixersDecodeStep on qkv with the case's weights `t`, the step's i32 inputs and the state variables. */
export function mixersStep(
  spec: MixersSpec,
  t: Readonly<Record<string, Tensor>>,
  qkv: Tensor,
  step: { positions: Tensor; slots: Tensor; qSeqIdx: Tensor; kSeqIdx: Tensor },
  states: MixersStates,
  offsets: { ssm: number; attention: number },
): Tensor {
  const a = spec.attention;
  return ops.parallelMixersDecodeStep(
    {
      qkv,
      ssm: {
        convState: states.convState,
        convWeight: t.convWeight!,
        convBias: t.convBias,
        ssmState: states.ssmState,
        dtBias: t.dtBias!,
        A: t.A!,
        D: t.D,
      },
      attention: { ...step, keys: states.keys, values: states.values },
    },
    {
      ssm: { timeStepLimit: spec.ssm.limit, offset: offsets.ssm },
      attention: {
        heads: a.hq,
        kvHeads: a.hkv,
        theta: a.theta ?? 1e4,
        scale: (a.scaleBy ?? 1) / Math.sqrt(a.dh),
        offset: offsets.attention,
      },
    },
  );
}

/** The i32 inputs of one step over `cache`: positions, slots, qSeq and kSeq [B, L]; `suffix` keeps steps apart. */
export function stepIds({ l, slots, rows }: DecodeCache, suffix = ''): CaseInput[] {
  return [
    intValues(
      `positions${suffix}`,
      [rows.length],
      rows.map((r) => r.pos),
    ),
    intValues(`slots${suffix}`, [slots.length], slots),
    intValues(
      `qSeq${suffix}`,
      [rows.length],
      rows.map((r) => r.q),
    ),
    intValues(
      `kSeq${suffix}`,
      [rows.length, l],
      rows.flatMap((r) => r.k.flatMap(([id, count]) => new Array<number>(count).fill(id))),
    ),
  ];
}

interface CaseSpec extends MixersSpec {
  cache: DecodeCache;
  /** Which step's columns come first, and the row's columns before the first, between the two and after the last. */
  first: 'ssm' | 'attention';
  before: number;
  between: number;
  after: number;
  tag?: string;
}

const HALF_B: MixersSpec = {
  ssm: { h: 24, p: 64, g: 1, n: 128, k: 4, bias: true, d: true },
  attention: { hq: 8, hkv: 2, dh: 64, theta: 1e11, scaleBy: 0.8 },
};

const CASES: CaseSpec[] = [
  {
    // The 0.5B layer's merged projection [z x B C dt | q k v]: the SSM's 3,352 columns at 0, q|k|v right after.
    ...HALF_B,
    cache: HALF_B_CACHE,
    first: 'ssm',
    before: 0,
    between: 0,
    after: 0,
    tag: 'Falcon-H1-0.5B merged projection',
  },
  {
    // The 0.5B sizes with q|k|v first, both offsets ≠ 0; a second document in row 1, no slot written by row 2.
    ...HALF_B,
    cache: {
      l: 40,
      slots: [20, 25, -1],
      rows: [row(0, 20, [0, 21], [-1, 19]), row(2, 9, [1, 16], [2, 10], [-1, 14]), row(4, 33, [4, 33], [-1, 7])],
    },
    first: 'attention',
    before: 7,
    between: 5,
    after: 3,
    tag: 'Falcon-H1-0.5B sizes',
  },
  {
    // Dh 128, a small odd SSM after q|k|v, the row ending where the SSM's columns end.
    ssm: { h: 5, p: 3, g: 1, n: 6, k: 4, bias: true, d: true },
    attention: { hq: 4, hkv: 1, dh: 128 },
    cache: {
      l: 9,
      slots: [4, 8, 0],
      rows: [row(3, 4, [3, 5], [-1, 4]), row(1, 12, [1, 9]), row(0, 0, [0, 1], [-1, 8])],
    },
    first: 'attention',
    before: 13,
    between: 0,
    after: 0,
  },
  {
    // B = 5, G = 2, N = 20, K = 3, P = 5, a dt clamp, no conv bias; Hq 4 / Hkv 2, Dh 16; slots per row, one outside.
    ssm: { h: 6, p: 5, g: 2, n: 20, k: 3, bias: false, d: true, limit: [0.05, 0.4] },
    attention: { hq: 4, hkv: 2, dh: 16 },
    cache: FIVE_ROWS_SHORT,
    first: 'ssm',
    before: 9,
    between: 2,
    after: 4,
  },
  {
    // B = 1, odd and tiny: H 3, P 4, N 5; 3 query heads on one KV head of 10.
    ssm: { h: 3, p: 4, g: 1, n: 5, k: 4, bias: true, d: false },
    attention: { hq: 3, hkv: 1, dh: 10, theta: 1e6 },
    cache: {
      l: 7,
      slots: [2],
      rows: [row(1, 2, [1, 3], [-1, 4])],
    },
    first: 'ssm',
    before: 1,
    between: 0,
    after: 6,
  },
  {
    // B = 5, Hq 8 / Hkv 2 of 64 over 300 slots (two splits on GPUs, then their merge), a small SSM first.
    ssm: { h: 4, p: 8, g: 1, n: 16, k: 4, bias: true, d: true },
    attention: { hq: 8, hkv: 2, dh: 64 },
    cache: FIVE_ROWS_LONG,
    first: 'ssm',
    before: 3,
    between: 1,
    after: 2,
  },
];

/** With a 16-bit SSM state, bf16 and f16: the 0.5B layer at B = 1 and 5, a small odd one; every offset odd. */
const SIXTEEN_BIT_STATE: CaseSpec[] = (
  [
    { ...HALF_B, cache: HALF_B_CACHE, first: 'ssm', before: 3, between: 1, after: 5, tag: 'Falcon-H1-0.5B sizes' },
    {
      ...HALF_B,
      cache: FIVE_ROWS_SHORT,
      first: 'attention',
      before: 7,
      between: 5,
      after: 3,
      tag: 'Falcon-H1-0.5B sizes',
    },
    {
      // B = 3, G = 2, N = 20, K = 3, P = 5 with a dt clamp; 3 query heads on one KV head of 10 over 6 slots: a full
      // row, a second document, the first slot written.
      ssm: { h: 6, p: 5, g: 2, n: 20, k: 3, bias: false, d: true, limit: [0.05, 0.4] },
      attention: { hq: 3, hkv: 1, dh: 10, theta: 1e6 },
      cache: {
        l: 6,
        slots: [5, 2, 0],
        rows: [row(0, 5, [0, 6]), row(2, 2, [1, 1], [2, 2], [-1, 3]), row(1, 0, [1, 1], [-1, 5])],
      },
      first: 'ssm',
      before: 1,
      between: 3,
      after: 1,
    },
  ] satisfies CaseSpec[]
).flatMap((s) => (['bf16', 'f16'] as const).map((state) => ({ ...s, ssm: { ...s.ssm, state } })));

/** The two steps' first columns and the packed row's width. */
export function mixersLayout(
  spec: MixersSpec,
  { first, before, between, after }: Pick<CaseSpec, 'first' | 'before' | 'between' | 'after'>,
): { ssm: number; attention: number; width: number } {
  const widths = mixersWidths(spec);
  const second = before + widths[first] + between;
  const offsets = first === 'ssm' ? { ssm: before, attention: second } : { ssm: second, attention: before };
  return { ...offsets, width: second + widths[first === 'ssm' ? 'attention' : 'ssm'] + after };
}

function specParams(s: CaseSpec, layout: { ssm: number; attention: number; width: number }): string {
  const { ssm: m, attention: a, cache } = s;
  return (
    `B=${cache.rows.length},H=${m.h},P=${m.p},G=${m.g},N=${m.n},K=${m.k}${m.bias ? ',convBias' : ''}${m.d ? ',D' : ''}` +
    `${m.limit ? `,dt in [${m.limit.join(', ')}]` : ''},Hq=${a.hq},Hkv=${a.hkv},Dh=${a.dh},L=${cache.l}` +
    `${a.theta ? `,theta=${a.theta}` : ''}${a.scaleBy ? `,scale×${a.scaleBy}` : ''},ssmOffset=${layout.ssm},` +
    `attentionOffset=${layout.attention},W=${layout.width},slots=[${cache.slots.join(',')}],rows=${JSON.stringify(cache.rows)}` +
    sixteenBitStateCase(m.state).params
  );
}

export const parallelMixersDecodeStepCases: ConformanceCase[] = [...CASES, ...SIXTEEN_BIT_STATE].map((s) => {
  const layout = mixersLayout(s, s);
  const b = s.cache.rows.length;
  return {
    kernel: 'ParallelMixersDecodeStep',
    params: specParams(s, layout),
    tag: s.tag,
    dtypes: sixteenBitStateCase(s.ssm.state).dtypes,
    // Decode only: no gradient.
    backward: false,
    inputs: (rng: Rng) => [
      floatIn(rng, 'qkv', [b, layout.width], -2, 2),
      ...mixersInputs(rng, b, s.cache.l, s),
      ...stepIds(s.cache),
    ],
    run: (t) => {
      const states = mixersStates(t);
      const step = { positions: t.positions!, slots: t.slots!, qSeqIdx: t.qSeq!, kSeqIdx: t.kSeq! };
      const out = mixersStep(s, t, t.qkv!, step, states, layout);
      if (out.dtype !== t.qkv!.dtype) throw new Error(`out is ${out.dtype}, the contract says qkv's ${t.qkv!.dtype}`);
      return { out, ...mixersStatesAfter(states, s.ssm.state) };
    },
  };
});

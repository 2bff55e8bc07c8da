/**
 * Cases for the fused kernels. Each runs natively where the backend has the kernel and through core's
 * composition otherwise; the suite also runs every one with the composition forced ('[composition]' results).
 * Shapes: awkward ones (odd sizes, partial chunks, B > 1, G > 1, document boundaries inside chunks, a one-token
 * document) plus cases with the published Falcon-H1 sizes.
 */

import type { ConvActivation } from '@falcon-h1/core-tensor';
import * as ops from '@falcon-h1/core-tensor';
import type { CaseInput, ConformanceCase } from '../case.js';
import { docIds, docPositions, floatIn, intIn, intValues, stateIn } from '../case-inputs.js';
import type { Rng } from '../random.js';
import { type DecodeCache, FIVE_ROWS_LONG, FIVE_ROWS_SHORT, HALF_B_CACHE } from './decode-caches.js';
import { FUSED_MAT_MUL_CASES } from './fused-mat-mul.js';
import { parallelMixersDecodeStepCases } from './parallel-mixers-decode-step.js';
import { ssmDecodeStepCases, ssmDecodeStepInPlaceCases } from './ssm-decode-step.js';

const softmaxCases: ConformanceCase[] = [
  [3, 7],
  [2, 5, 1],
  [4, 130],
  [1, 1031],
].map((shape) => ({
  kernel: 'Softmax',
  params: `[${shape.join(',')}]`,
  inputs: (rng: Rng) => [floatIn(rng, 'x', shape, -6, 6)],
  run: ({ x }) => ops.softmax(x!),
}));

// RmsNorm's backward on CUDA keeps a row in registers up to D = 2048 (4 or 8 values per thread) with four blocks per
// SM: rows past 4 × 132 blocks (each block takes several rows), a D for 8 values per thread, and one past 2048 (the
// shared-memory kernel).
const rmsNormCases: ConformanceCase[] = [
  [[3, 33], 1e-6],
  [[2, 5, 64], 1e-5],
  [[1, 1024], 1e-5],
  [[1100, 260], 1e-5],
  [[6, 1600], 1e-5],
  [[3, 2051], 1e-6],
].map(([shape, eps]) => {
  const s = shape as number[];
  return {
    kernel: 'RmsNorm',
    params: `[${s.join(',')}],eps=${eps}`,
    tag: s[1] === 1024 ? 'Falcon-H1-0.5B' : undefined,
    inputs: (rng: Rng) => [floatIn(rng, 'x', s, -2, 2), floatIn(rng, 'w', [s[s.length - 1]!], 0.5, 1.5)],
    run: ({ x, w }) => ops.rmsNorm(x!, w!, eps as number),
  };
});

// The residual add + RMSNorm of a decode step: awkward D (odd, below and above a block of threads, not a multiple of
// a vector load), batch > 1, ranks 2 and 3, and the 0.5B width. Both outputs are compared: the stored sum and the
// norm computed from it.
const addRmsNormCases: ConformanceCase[] = (
  [
    [[1, 7], 1e-6],
    [[3, 33], 1e-6],
    [[2, 5, 64], 1e-5],
    [[4, 1030], 1e-5],
    [[2, 1024], 1e-5],
  ] as Array<[number[], number]>
).map(([shape, eps]) => ({
  kernel: 'AddRmsNorm',
  params: `[${shape.join(',')}],eps=${eps}`,
  tag: shape[1] === 1024 ? 'Falcon-H1-0.5B' : undefined,
  inputs: (rng: Rng) => [
    floatIn(rng, 'x', shape, -2, 2),
    floatIn(rng, 'residual', shape, -2, 2),
    floatIn(rng, 'w', [shape[shape.length - 1]!], 0.5, 1.5),
  ],
  run: ({ x, residual, w }) => ops.addRmsNorm(x!, residual!, w!, eps),
}));

const gatedCases: ConformanceCase[] = (
  [
    [[3, 24], 24, false],
    [[2, 5, 24], 12, false],
    [[2, 5, 24], 8, true],
    [[1, 3, 21], 7, true],
  ] as Array<[number[], number, boolean]>
).map(([shape, groupSize, normBeforeGate]) => ({
  kernel: 'RmsNormGated',
  params: `[${shape.join(',')}],group=${groupSize},normBeforeGate=${normBeforeGate}`,
  inputs: (rng: Rng) => [
    floatIn(rng, 'x', shape, -2, 2),
    floatIn(rng, 'z', shape, -3, 3),
    floatIn(rng, 'w', [shape[shape.length - 1]!], 0.5, 1.5),
  ],
  run: ({ x, z, w }) => ops.rmsNormGated(x!, z!, w!, { eps: 1e-5, groupSize, normBeforeGate }),
}));

const ropeCases: ConformanceCase[] = (
  [
    [2, 7, 3, 8, 1e4, false, false],
    [1, 13, 4, 24, 1e11, false, false],
    [2, 9, 2, 64, 1e11, true, false],
    [1, 5, 2, 24, 1e6, false, true],
  ] as Array<[number, number, number, number, number, boolean, boolean]>
).map(([b, t, h, dh, theta, packed, inverse]) => ({
  kernel: 'Rope',
  params: `B=${b},T=${t},H=${h},Dh=${dh},theta=${theta}${packed ? ',positions restart' : ''}${inverse ? ',inverse' : ''}`,
  inputs: (rng: Rng) => [
    floatIn(rng, 'x', [b, t, h, dh]),
    packed
      ? intValues('pos', [b, t], docPositions(Array.from({ length: b }, () => [4, t - 4])))
      : intIn(rng, 'pos', [b, t], 0, 3000),
  ],
  run: ({ x, pos }) => ops.rope(x!, pos!, theta, inverse),
}));

interface ConvSpec {
  b: number;
  t: number;
  c: number;
  k: number;
  bias: boolean;
  initial: boolean;
  docs?: number[][];
  activation: ConvActivation;
}

const CONV: ConvSpec[] = [
  { b: 1, t: 9, c: 5, k: 4, bias: false, initial: false, activation: 'none' },
  { b: 2, t: 13, c: 11, k: 4, bias: true, initial: false, activation: 'silu' },
  { b: 2, t: 7, c: 6, k: 3, bias: true, initial: true, activation: 'silu' },
  {
    b: 2,
    t: 12,
    c: 7,
    k: 4,
    bias: true,
    initial: false,
    docs: [
      [5, 7],
      [1, 2, 9],
    ],
    activation: 'silu',
  },
  { b: 1, t: 10, c: 4, k: 4, bias: true, initial: true, docs: [[3, 7]], activation: 'none' },
  // Longer than a run of 32 steps (CUDA's run kernels carry a sliding window across their block's steps and start
  // each run from the columns before it): documents that end inside a run, at a run's first step and across the
  // boundary; more than 256 channels (two blocks of channels); the widest kernel a backend may specialise (K = 8).
  {
    b: 2,
    t: 75,
    c: 261,
    k: 4,
    bias: true,
    initial: true,
    docs: [
      [30, 3, 42],
      [64, 11],
    ],
    activation: 'silu',
  },
  { b: 1, t: 70, c: 9, k: 8, bias: false, initial: true, docs: [[33, 37]], activation: 'silu' },
  { b: 3, t: 41, c: 5, k: 3, bias: true, initial: false, activation: 'none' },
];

const convCases: ConformanceCase[] = CONV.map((s) => ({
  kernel: 'CausalConv1d',
  params: `B=${s.b},T=${s.t},C=${s.c},K=${s.k}${s.bias ? ',bias' : ''}${s.initial ? ',initialState' : ''}${s.docs ? `,docs=${JSON.stringify(s.docs)}` : ''},${s.activation}`,
  inputs: (rng: Rng) => {
    const list: CaseInput[] = [floatIn(rng, 'x', [s.b, s.t, s.c]), floatIn(rng, 'w', [s.c, s.k], -0.7, 0.7)];
    if (s.bias) list.push(floatIn(rng, 'bias', [s.c], -0.3, 0.3));
    if (s.initial) list.push(floatIn(rng, 'init', [s.b, s.c, s.k - 1]));
    if (s.docs) list.push(intValues('seq', [s.b, s.t], docIds(s.docs)));
    return list;
  },
  run: ({ x, w, bias, init, seq }) =>
    ops.causalConv1d(x!, w!, { bias, initialState: init, seqIdx: seq, activation: s.activation }),
}));

const convUpdateCases: ConformanceCase[] = [
  [1, 5, 4, true, 'silu'],
  [3, 8, 4, false, 'none'],
  [2, 7, 3, true, 'silu'],
].map(([b, c, k, bias, activation]) => ({
  kernel: 'CausalConv1dUpdate',
  params: `B=${b},C=${c},K=${k}${bias ? ',bias' : ''},${activation}`,
  inputs: (rng: Rng) => {
    const list: CaseInput[] = [
      floatIn(rng, 'state', [b as number, c as number, k as number]),
      floatIn(rng, 'x', [b as number, c as number]),
      floatIn(rng, 'w', [c as number, k as number], -0.7, 0.7),
    ];
    if (bias) list.push(floatIn(rng, 'bias', [c as number], -0.3, 0.3));
    return list;
  },
  run: ({ state, x, w, bias: bi }) =>
    ops.causalConv1dUpdate(state!, x!, w!, { bias: bi, activation: activation as ConvActivation }),
}));

interface ScanSpec {
  b: number;
  t: number;
  h: number;
  p: number;
  g: number;
  n: number;
  chunk: number;
  d: boolean;
  initial: boolean;
  docs?: number[][];
  tag?: string;
}

const SCAN: ScanSpec[] = [
  { b: 1, t: 5, h: 2, p: 3, g: 1, n: 4, chunk: 4, d: false, initial: false },
  { b: 2, t: 40, h: 8, p: 3, g: 2, n: 16, chunk: 16, d: true, initial: false, tag: 'tiny-a' },
  { b: 2, t: 37, h: 4, p: 5, g: 2, n: 3, chunk: 8, d: true, initial: true },
  {
    b: 2,
    t: 23,
    h: 3,
    p: 2,
    g: 1,
    n: 5,
    chunk: 8,
    d: true,
    initial: false,
    docs: [
      [9, 14],
      [1, 8, 14],
    ],
  },
  { b: 1, t: 27, h: 4, p: 2, g: 2, n: 3, chunk: 16, d: true, initial: true, docs: [[13, 1, 13]] },
  { b: 1, t: 9, h: 2, p: 2, g: 1, n: 2, chunk: 1, d: true, initial: true },
  { b: 1, t: 6, h: 2, p: 2, g: 2, n: 2, chunk: 64, d: false, initial: true },
  { b: 1, t: 130, h: 24, p: 64, g: 1, n: 128, chunk: 128, d: true, initial: false, tag: 'Falcon-H1-0.5B heads' },
  // The state size of Falcon-H1-1.5B and up (N = 256): the tensor-core SSD backward's largest shared-memory layout.
  { b: 1, t: 80, h: 4, p: 64, g: 1, n: 256, chunk: 64, d: true, initial: true, tag: 'Falcon-H1-1.5B state' },
  // Several 64-token tiles of the tensor-core SSD (CUDA): a boundary exactly on a tile edge, a one-token document,
  // a document crossing two tiles, P and N not multiples of 16, and an initial state that only row 1's first
  // document may see.
  {
    b: 2,
    t: 150,
    h: 4,
    p: 20,
    g: 2,
    n: 24,
    chunk: 32,
    d: true,
    initial: true,
    docs: [
      [64, 1, 50, 35],
      [70, 80],
    ],
  },
];

/** With `f32Parameters`, dt, A and D are drawn as f32 inputs whatever the dtype under test (the mixed case). */
function scanInputs(rng: Rng, s: ScanSpec, f32Parameters: boolean): CaseInput[] {
  const parameterIn = f32Parameters ? stateIn : floatIn;
  const list: CaseInput[] = [
    floatIn(rng, 'x', [s.b, s.t, s.h, s.p]),
    // dt after softplus: positive, around the published dt range.
    parameterIn(rng, 'dt', [s.b, s.t, s.h], 0.01, 0.6),
    parameterIn(rng, 'A', [s.h], -2.5, -0.2),
    floatIn(rng, 'Bm', [s.b, s.t, s.g, s.n]),
    floatIn(rng, 'Cm', [s.b, s.t, s.g, s.n]),
  ];
  if (s.d) list.push(parameterIn(rng, 'D', [s.h], 0.5, 1.5));
  if (s.initial) list.push(stateIn(rng, 'init', [s.b, s.h, s.p, s.n]));
  if (s.docs) list.push(intValues('seq', [s.b, s.t], docIds(s.docs)));
  return list;
}

function scanCase(s: ScanSpec, f32Parameters: boolean): ConformanceCase {
  return {
    kernel: 'SsmScan',
    params: `B=${s.b},T=${s.t},H=${s.h},P=${s.p},G=${s.g},N=${s.n},chunk=${s.chunk}${s.d ? ',D' : ''}${s.initial ? ',initialState' : ''}${s.docs ? `,docs=${JSON.stringify(s.docs)}` : ''}${f32Parameters ? ',dt/A/D f32' : ''}`,
    tag: s.tag,
    inputs: (rng: Rng) => scanInputs(rng, s, f32Parameters),
    run: ({ x, dt, A, Bm, Cm, D, init, seq }) => {
      const out = ops.ssmScan(
        { x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Cm!, D, initialState: init, seqIdx: seq },
        { chunkSize: s.chunk },
      );
      // The contract: y takes dt's dtype (x's when all inputs share one, f32 in the mixed case).
      if (out.y.dtype !== dt!.dtype) throw new Error(`y is ${out.y.dtype}, the contract says dt's dtype ${dt!.dtype}`);
      return out;
    },
    // The mixed case exists for 16-bit activations only (under f32 it is the plain case).
    dtypes: f32Parameters ? ['bf16', 'f16'] : undefined,
    // 16-bit activations over long sequences: the chunked algorithm's reassociation is amplified by bf16 rounding.
    toleranceScale16: 2,
  };
}

/**
 * Every scan shape twice: all inputs in the dtype under test, and the mixed case a bf16/f16 model runs — x, Bm, Cm
 * 16-bit, dt, A, D and the initial state f32, so y (dt's dtype) and dy are f32 — whose gradients come back in each
 * input's dtype.
 */
const scanCases: ConformanceCase[] = [...SCAN.map((s) => scanCase(s, false)), ...SCAN.map((s) => scanCase(s, true))];

const stepCases: ConformanceCase[] = [
  [1, 2, 3, 1, 4, true],
  [3, 8, 3, 2, 16, true],
  [2, 4, 5, 4, 3, false],
  // State sizes past a warp (backends may split a row's N entries over lanes): odd N, and Falcon-H1's N = 128.
  [1, 6, 5, 2, 70, true],
  [2, 3, 64, 1, 128, true],
].map(([b, h, p, g, n, d]) => ({
  kernel: 'SsmStep',
  params: `B=${b},H=${h},P=${p},G=${g},N=${n}${d ? ',D' : ''}`,
  inputs: (rng: Rng) => {
    const [bb, hh, pp, gg, nn] = [b, h, p, g, n] as number[];
    const list: CaseInput[] = [
      stateIn(rng, 'state', [bb!, hh!, pp!, nn!]),
      floatIn(rng, 'x', [bb!, hh!, pp!]),
      floatIn(rng, 'dt', [bb!, hh!], 0.01, 0.6),
      floatIn(rng, 'A', [hh!], -2.5, -0.2),
      floatIn(rng, 'Bm', [bb!, gg!, nn!]),
      floatIn(rng, 'Cm', [bb!, gg!, nn!]),
    ];
    if (d) list.push(floatIn(rng, 'D', [hh!], 0.5, 1.5));
    return list;
  },
  run: ({ state, x, dt, A, Bm, Cm, D }) => ops.ssmStep({ state: state!, x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Cm!, D }),
}));

interface AttentionSpec {
  b: number;
  t: number;
  s: number;
  hq: number;
  hkv: number;
  dh: number;
  causal: boolean;
  docs?: number[][];
  /**
   * A static KV cache's document ids instead of `docs`: per batch row, the query's document and the slots' ids
   * (run-length pairs [id, count] summing to S; −1 marks a slot not yet written).
   */
  slots?: Array<{ q: number; k: Array<[number, number]> }>;
  tag?: string;
}

function slotIds(rows: NonNullable<AttentionSpec['slots']>, t: number): { q: number[]; k: number[] } {
  return {
    q: rows.flatMap((r) => new Array<number>(t).fill(r.q)),
    k: rows.flatMap((r) => r.k.flatMap(([id, count]) => new Array<number>(count).fill(id))),
  };
}

const ATTENTION: AttentionSpec[] = [
  { b: 1, t: 5, s: 5, hq: 1, hkv: 1, dh: 4, causal: true },
  { b: 2, t: 13, s: 13, hq: 4, hkv: 2, dh: 24, causal: true, tag: 'tiny-a' },
  { b: 2, t: 1, s: 9, hq: 4, hkv: 2, dh: 8, causal: true },
  { b: 1, t: 3, s: 11, hq: 6, hkv: 2, dh: 8, causal: true },
  { b: 2, t: 7, s: 9, hq: 2, hkv: 1, dh: 6, causal: false },
  {
    b: 2,
    t: 12,
    s: 12,
    hq: 4,
    hkv: 2,
    dh: 8,
    causal: true,
    docs: [
      [5, 7],
      [1, 2, 9],
    ],
  },
  { b: 1, t: 70, s: 70, hq: 8, hkv: 2, dh: 64, causal: true, tag: 'Falcon-H1-0.5B heads' },
  // Decode steps (few queries over many key slots: backends may split the keys over workgroups and merge).
  {
    b: 1,
    t: 1,
    s: 193,
    hq: 8,
    hkv: 2,
    dh: 64,
    causal: true,
    slots: [
      {
        q: 0,
        k: [
          [0, 129],
          [-1, 64],
        ],
      },
    ],
    tag: 'Falcon-H1-0.5B decode, static cache',
  },
  {
    b: 3,
    t: 1,
    s: 131,
    hq: 4,
    hkv: 1,
    dh: 24,
    causal: true,
    slots: [
      {
        q: 1,
        k: [
          [0, 60],
          [1, 71],
        ],
      },
      {
        q: 0,
        k: [
          [0, 70],
          [-1, 61],
        ],
      },
      {
        q: 2,
        k: [
          [0, 1],
          [-1, 130],
        ],
      },
    ],
  },
  { b: 2, t: 4, s: 150, hq: 6, hkv: 3, dh: 16, causal: true },
  { b: 1, t: 2, s: 77, hq: 2, hkv: 2, dh: 8, causal: false },
  { b: 1, t: 1, s: 70, hq: 3, hkv: 1, dh: 6, causal: true },
  // Long caches (split over several workgroups per query and merged), head dims past 64, a split left empty.
  {
    b: 2,
    t: 1,
    s: 601,
    hq: 4,
    hkv: 2,
    dh: 8,
    causal: true,
    slots: [
      {
        q: 3,
        k: [
          [2, 100],
          [3, 200],
          [-1, 301],
        ],
      },
      {
        q: 0,
        k: [
          [0, 580],
          [-1, 21],
        ],
      },
    ],
  },
  { b: 1, t: 3, s: 333, hq: 2, hkv: 1, dh: 72, causal: true },
];

const attentionCases: ConformanceCase[] = ATTENTION.map((a) => ({
  kernel: 'Attention',
  params: `B=${a.b},T=${a.t},S=${a.s},Hq=${a.hq},Hkv=${a.hkv},Dh=${a.dh}${a.causal ? ',causal' : ''}${a.docs ? `,docs=${JSON.stringify(a.docs)}` : ''}${a.slots ? `,slots=${JSON.stringify(a.slots)}` : ''}`,
  tag: a.tag,
  inputs: (rng: Rng) => {
    const list: CaseInput[] = [
      floatIn(rng, 'q', [a.b, a.t, a.hq, a.dh], -2, 2),
      floatIn(rng, 'k', [a.b, a.s, a.hkv, a.dh], -2, 2),
      floatIn(rng, 'v', [a.b, a.s, a.hkv, a.dh]),
    ];
    if (a.docs) {
      const ids = docIds(a.docs);
      list.push(intValues('qSeq', [a.b, a.t], ids), intValues('kSeq', [a.b, a.s], ids));
    }
    if (a.slots) {
      const ids = slotIds(a.slots, a.t);
      list.push(intValues('qSeq', [a.b, a.t], ids.q), intValues('kSeq', [a.b, a.s], ids.k));
    }
    return list;
  },
  run: ({ q, k, v, qSeq, kSeq }) => ops.attention(q!, k!, v!, { causal: a.causal, qSeqIdx: qSeq, kSeqIdx: kSeq }),
}));

const crossEntropyCases: ConformanceCase[] = (
  [
    [7, 257, []],
    [5, 33, [1, 4]],
    [2, 32784, []],
  ] as Array<[number, number, number[]]>
).map(([r, v, ignored]) => ({
  kernel: 'CrossEntropy',
  params: `R=${r},V=${v}${ignored.length ? `,ignored rows=${ignored.join('/')}` : ''}`,
  tag: v === 32784 ? 'Falcon-H1-0.5B vocab' : undefined,
  inputs: (rng: Rng) => {
    const labels = intIn(rng, 'labels', [r], 0, v);
    const values = Array.from(labels.values);
    for (const i of ignored) values[i] = -100;
    return [floatIn(rng, 'logits', [r, v], -4, 4), { ...labels, values }];
  },
  run: ({ logits, labels }) => ops.crossEntropy(logits!, labels!),
}));

const adamWCases: ConformanceCase[] = [
  [[5, 7], 3, 0.1],
  [[33], 1, 0],
].map(([shape, step, weightDecay]) => ({
  kernel: 'AdamW',
  params: `[${(shape as number[]).join(',')}],step=${step},wd=${weightDecay}`,
  backward: false,
  inputs: (rng: Rng) => [
    floatIn(rng, 'param', shape as number[]),
    floatIn(rng, 'grad', shape as number[], -0.1, 0.1),
    stateIn(rng, 'm', shape as number[], -0.01, 0.01),
    stateIn(rng, 'v', shape as number[], 0, 1e-4),
  ],
  run: ({ param, grad, m, v }) => {
    const p = ops.variable(param!);
    const mv = ops.variable(m!);
    const vv = ops.variable(v!);
    ops.adamW(p, grad!, mv, vv, {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: weightDecay as number,
      step: step as number,
    });
    // Plain tensors that the case's scope owns; the variables are freed here.
    const out = { param: ops.copy(p), m: ops.copy(mv), v: ops.copy(vv) };
    p.dispose();
    mv.dispose();
    vv.dispose();
    return out;
  },
}));

const adamWMultiCases: ConformanceCase[] = [
  { shapes: [[5, 7], [33], [2, 3, 4]], lr: [1e-3, 2e-3, 5e-4], wd: [0.1, 0, 0.05], step: 3 },
  { shapes: [[1], [129]], lr: [3e-4, 3e-4], wd: [0.1, 0.1], step: 1 },
].map(({ shapes, lr, wd, step }) => ({
  kernel: 'AdamWMulti',
  params: `${shapes.map((s) => `[${s.join(',')}]`).join('+')},lr=${lr.join('/')},wd=${wd.join('/')},step=${step}`,
  backward: false,
  inputs: (rng: Rng) =>
    shapes.flatMap((shape, i) => [
      floatIn(rng, `param${i}`, shape),
      floatIn(rng, `grad${i}`, shape, -0.1, 0.1),
      stateIn(rng, `m${i}`, shape, -0.01, 0.01),
      stateIn(rng, `v${i}`, shape, 0, 1e-4),
    ]),
  run: (inputs) => {
    const entries = shapes.map((_, i) => ({
      param: ops.variable(inputs[`param${i}`]!),
      grad: inputs[`grad${i}`]!,
      m: ops.variable(inputs[`m${i}`]!),
      v: ops.variable(inputs[`v${i}`]!),
      lr: lr[i]!,
      weightDecay: wd[i]!,
    }));
    ops.adamWMulti(entries, { beta1: 0.9, beta2: 0.95, eps: 1e-8, step });
    // Plain tensors that the case's scope owns; the variables are freed here.
    const out: Record<string, ops.Tensor> = {};
    entries.forEach(({ param, m, v }, i) => {
      out[`param${i}`] = ops.copy(param);
      out[`m${i}`] = ops.copy(m);
      out[`v${i}`] = ops.copy(v);
      ops.dispose([param, m, v]);
    });
    return out;
  },
}));

// CacheWrite: slots per row ([B]) or shared ([1]); windows at the first and last valid slot, and rows whose window
// leaves [0, L) (−1, L − T + 1, far out), which must stay unchanged; odd inner sizes; an i32 cache (document ids).
const cacheWriteCases: ConformanceCase[] = (
  [
    { cache: [3, 17, 3, 5], t: 1, slots: [0, 16, 7] },
    { cache: [4, 9, 2, 7], t: 3, slots: [6, 0, -1, 7] },
    { cache: [2, 33, 65], t: 1, slots: [40] },
    { cache: [5, 12, 1, 3], t: 2, slots: [10] },
    { cache: [1, 1, 4, 64], t: 1, slots: [0] },
    { cache: [2, 6], t: 1, slots: [5, 6], ints: true },
  ] as Array<{ cache: number[]; t: number; slots: number[]; ints?: boolean }>
).map(({ cache, t, slots, ints }) => {
  const values = [cache[0]!, t, ...cache.slice(2)];
  return {
    kernel: 'CacheWrite',
    params: `cache=[${cache.join(',')}],T=${t},slots=[${slots.join(',')}]${ints ? ',i32' : ''}`,
    backward: false,
    // The i32 cache does not depend on the float dtype under test: one run.
    ...(ints ? { dtypes: ['f32'] as const } : {}),
    inputs: (rng: Rng) => [
      ints ? intIn(rng, 'cache', cache, -1, 50) : floatIn(rng, 'cache', cache),
      ints ? intIn(rng, 'values', values, 0, 50) : floatIn(rng, 'values', values),
      intValues('slots', [slots.length], slots),
    ],
    run: ({ cache: initial, values: rows, slots: first }) => {
      const target = ops.variable(initial!);
      ops.cacheWrite(target, rows!, first!);
      // A plain tensor that the case's scope owns; the variable is freed here.
      const out = ops.copy(target);
      target.dispose();
      return out;
    },
  };
});

// AttentionDecodeStep: one query per row over a static cache of L slots (L not a power of two), 1, 2 and 3 query
// heads per KV head, slots per row or shared, a slot outside [0, L) (no write: the row attends to the cache as it
// is), empty slots (−1), rows in different documents (left padding before a row's document), a row whose query sees
// no slot (zeros), a long cache (split over workgroups on GPUs) and the published 0.5B decode shape. Then the step
// reading its q|k|v at an offset of a wider row (columns after them too) and putting a prefix in front of its output
// ([prefix | o]: the 0.5B layer's merged projection, whose SSM output goes before the heads), B = 1 and 5, one split
// and several; the cache's contents after the call are outputs of every case.
interface DecodeStepSpec extends DecodeCache {
  hq: number;
  hkv: number;
  dh: number;
  theta?: number;
  /** Multiplies 1/√Dh (a folded key multiplier). */
  scaleBy?: number;
  /** The q|k|v columns' first column in each qkv row, the row's columns after them, the prefix's columns. */
  offset?: number;
  after?: number;
  prefix?: number;
  tag?: string;
}

/** The published 0.5B decode shape (8 query heads, 2 KV heads of 64) over a 193-slot cache. */
const HALF_B_DECODE: DecodeStepSpec = {
  hq: 8,
  hkv: 2,
  dh: 64,
  ...HALF_B_CACHE,
  theta: 1e11,
  scaleBy: 0.8,
  tag: 'Falcon-H1-0.5B decode, static cache',
};

const DECODE_STEPS: DecodeStepSpec[] = [
  {
    hq: 1,
    hkv: 1,
    dh: 8,
    l: 7,
    slots: [3],
    rows: [
      {
        q: 0,
        pos: 3,
        k: [
          [0, 4],
          [-1, 3],
        ],
      },
    ],
  },
  {
    hq: 6,
    hkv: 2,
    dh: 16,
    l: 13,
    slots: [5, 12, 13],
    scaleBy: 0.7,
    rows: [
      {
        q: 1,
        pos: 3,
        k: [
          [0, 2],
          [1, 4],
          [-1, 7],
        ],
      },
      { q: 2, pos: 12, k: [[2, 13]] },
      {
        q: 1,
        pos: 9,
        k: [
          [0, 3],
          [1, 10],
        ],
      },
    ],
  },
  {
    hq: 3,
    hkv: 3,
    dh: 24,
    l: 5,
    slots: [-1, 0, 4],
    theta: 1e6,
    rows: [
      { q: 2, pos: 7, k: [[1, 5]] },
      {
        q: 1,
        pos: 0,
        k: [
          [1, 1],
          [-1, 4],
        ],
      },
      {
        q: 3,
        pos: 1,
        k: [
          [-1, 3],
          [3, 2],
        ],
      },
    ],
  },
  {
    hq: 4,
    hkv: 2,
    dh: 64,
    l: 37,
    slots: [20],
    theta: 1e11,
    rows: [
      {
        q: 1,
        pos: 20,
        k: [
          [1, 21],
          [-1, 16],
        ],
      },
      {
        q: 1,
        pos: 15,
        k: [
          [0, 5],
          [1, 16],
          [-1, 16],
        ],
      },
    ],
  },
  {
    hq: 4,
    hkv: 1,
    dh: 8,
    l: 601,
    slots: [590, 3],
    rows: [
      {
        q: 0,
        pos: 590,
        k: [
          [0, 591],
          [-1, 10],
        ],
      },
      {
        q: 1,
        pos: 1,
        k: [
          [0, 2],
          [1, 2],
          [-1, 597],
        ],
      },
    ],
  },
  HALF_B_DECODE,
  // The 0.5B layer's merged projection [z x B C dt | q k v]: q|k|v at 3,352, the gated SSM output (1,536) in front.
  { ...HALF_B_DECODE, offset: 3352, prefix: 1536, tag: 'Falcon-H1-0.5B merged projection' },
  { hq: 1, hkv: 1, dh: 8, l: 7, slots: [6], offset: 5, after: 3, rows: [{ q: 0, pos: 6, k: [[0, 7]] }] },
  {
    // B = 5, a prefix without an offset (and columns after q|k|v), slots per row, one outside the cache.
    hq: 4,
    hkv: 2,
    dh: 16,
    ...FIVE_ROWS_SHORT,
    after: 9,
    prefix: 3,
  },
  {
    // B = 5 over 300 slots (two splits on GPUs, then their merge), offset and prefix, 3 query heads per KV head.
    hq: 6,
    hkv: 2,
    dh: 32,
    ...FIVE_ROWS_LONG,
    offset: 19,
    after: 5,
    prefix: 7,
  },
];

const attentionDecodeStepCases: ConformanceCase[] = DECODE_STEPS.map((s) => {
  const b = s.rows.length;
  const theta = s.theta ?? 1e4;
  const scale = (s.scaleBy ?? 1) / Math.sqrt(s.dh);
  const kIds = s.rows.flatMap((r) => r.k.flatMap(([id, count]) => new Array<number>(count).fill(id)));
  return {
    kernel: 'AttentionDecodeStep',
    params: `B=${b},L=${s.l},Hq=${s.hq},Hkv=${s.hkv},Dh=${s.dh},theta=${theta},slots=[${s.slots.join(',')}],rows=${JSON.stringify(s.rows)}${s.scaleBy ? `,scale×${s.scaleBy}` : ''}${s.offset ? `,offset=${s.offset}` : ''}${s.after ? `,after=${s.after}` : ''}${s.prefix ? `,prefix=${s.prefix}` : ''}`,
    tag: s.tag,
    backward: false,
    inputs: (rng: Rng) => [
      floatIn(rng, 'qkv', [b, (s.offset ?? 0) + (s.hq + 2 * s.hkv) * s.dh + (s.after ?? 0)], -2, 2),
      intValues(
        'positions',
        [b],
        s.rows.map((r) => r.pos),
      ),
      floatIn(rng, 'keys', [b, s.l, s.hkv, s.dh], -2, 2),
      floatIn(rng, 'values', [b, s.l, s.hkv, s.dh]),
      intValues('slots', [s.slots.length], s.slots),
      intValues(
        'qSeq',
        [b],
        s.rows.map((r) => r.q),
      ),
      intValues('kSeq', [b, s.l], kIds),
      ...(s.prefix ? [floatIn(rng, 'prefix', [b, s.prefix])] : []),
    ],
    run: ({ qkv, positions, keys: k0, values: v0, slots, qSeq, kSeq, prefix }) => {
      const keys = ops.variable(k0!);
      const values = ops.variable(v0!);
      const out = ops.attentionDecodeStep(
        { qkv: qkv!, positions: positions!, keys, values, slots: slots!, qSeqIdx: qSeq!, kSeqIdx: kSeq!, prefix },
        { heads: s.hq, kvHeads: s.hkv, theta, scale, offset: s.offset },
      );
      // Plain tensors that the case's scope owns; the variables are freed here.
      const result = { out, keys: ops.copy(keys), values: ops.copy(values) };
      ops.dispose([keys, values]);
      return result;
    },
  };
});

// Where in the layouts of CacheWrite's composition (a mask over slots, the step's rows broadcast over them), which
// the CUDA backend's Where fast paths take: rows of ≥ 32 contiguous or broadcast elements, and flat rank-1 layouts.
const cacheWhereCases: ConformanceCase[] = (
  [
    [[4, 1, 40], [4, 5, 40], [40]],
    [
      [1, 7, 1],
      [3, 1, 33],
      [3, 7, 33],
    ],
    [[1], [2, 3, 64], [2, 3, 64]],
    [
      [2, 1, 1, 1],
      [2, 1, 4, 16],
      [2, 9, 4, 16],
    ],
  ] as Array<[number[], number[], number[]]>
).map(([c, a, b]) => ({
  kernel: 'Where',
  params: `cond=[${c.join(',')}],a=[${a.join(',')}],b=[${b.join(',')}]`,
  inputs: (rng: Rng) => [intIn(rng, 'c', c, 0, 2), floatIn(rng, 'a', a), floatIn(rng, 'b', b)],
  run: ({ c: flags, a: x, b: y }) => ops.where(ops.greater(flags!, ops.zeros([], 'i32', flags!.backend)), x!, y!),
}));

const swiGluCases: ConformanceCase[] = (
  [
    [[3, 7], 0.883883],
    [[2, 5, 33], 0.3125],
    [[4, 1], 1],
    [[1, 2048], 0.883883],
    // 16-byte vectors in every dtype (a backend may move them whole: CUDA's vector kernels), several rows.
    [[6, 40], 0.5],
  ] as Array<[number[], number]>
).map(([shape, gateMultiplier]) => ({
  kernel: 'SwiGlu',
  params: `[${shape.join(',')}],gateMultiplier=${gateMultiplier}`,
  tag: shape[1] === 2048 ? 'Falcon-H1-0.5B intermediate' : undefined,
  inputs: (rng: Rng) => [floatIn(rng, 'gate', shape, -5, 5), floatIn(rng, 'up', shape, -2, 2)],
  run: ({ gate, up }) => ops.swiGlu(gate!, up!, gateMultiplier),
}));

// The packed [gate; up] projection of a decode step's MLP: odd I (one element, below and above a warp), batch > 1,
// ranks 2 and 3, and the 0.5B's [1, 1, 2·2048] after its one gate|up product.
const swiGluPackedCases: ConformanceCase[] = (
  [
    [[1, 2], 1],
    [[3, 10], 0.883883],
    [[2, 5, 66], 0.3125],
    [[32, 1, 66], 1],
    [[1, 1, 4096], 0.883883],
    // I a multiple of 16 bytes in every dtype, several rows (CUDA's vector kernel: row · 2I + column per vector).
    [[3, 5, 48], 0.5],
  ] as Array<[number[], number]>
).map(([shape, gateMultiplier]) => ({
  kernel: 'SwiGluPacked',
  params: `[${shape.join(',')}],I=${shape[shape.length - 1]! / 2},gateMultiplier=${gateMultiplier}`,
  tag: shape[shape.length - 1] === 4096 ? 'Falcon-H1-0.5B intermediate' : undefined,
  inputs: (rng: Rng) => [floatIn(rng, 'gateUp', shape, -5, 5)],
  run: ({ gateUp }) => ops.swiGluPacked(gateUp!, gateMultiplier),
}));

interface LinearCrossEntropySpec {
  r: number;
  d: number;
  v: number;
  chunk: number;
  scale: number;
  /** Rows whose label is ignored (−100). */
  ignored: number[];
  /** Labels set by hand (row → label), e.g. on chunk edges. */
  fixed?: Record<number, number>;
  tag?: string;
}

const LINEAR_CE: LinearCrossEntropySpec[] = [
  { r: 7, d: 16, v: 257, chunk: 64, scale: 0.0390625, ignored: [2, 5], fixed: { 0: 0, 1: 256, 3: 64, 4: 63 } },
  { r: 5, d: 24, v: 100, chunk: 0, scale: 1, ignored: [] },
  { r: 3, d: 8, v: 33, chunk: 1, scale: 0.5, ignored: [0] },
  { r: 9, d: 40, v: 4099, chunk: 1024, scale: 0.125, ignored: [8], fixed: { 0: 1024, 1: 4098, 2: 1023 } },
  { r: 4, d: 16, v: 32784, chunk: 0, scale: 0.0390625, ignored: [1], tag: 'Falcon-H1-0.5B vocab' },
];

const linearCrossEntropyCases: ConformanceCase[] = LINEAR_CE.map((s) => ({
  kernel: 'LinearCrossEntropy',
  params: `R=${s.r},D=${s.d},V=${s.v},chunk=${s.chunk},scale=${s.scale}${s.ignored.length ? `,ignored rows=${s.ignored.join('/')}` : ''}`,
  tag: s.tag,
  inputs: (rng: Rng) => {
    const labels = intIn(rng, 'labels', [s.r], 0, s.v);
    const values = Array.from(labels.values);
    for (const [row, label] of Object.entries(s.fixed ?? {})) values[Number(row)] = label;
    for (const i of s.ignored) values[i] = -100;
    return [floatIn(rng, 'hidden', [s.r, s.d], -2, 2), floatIn(rng, 'weight', [s.v, s.d]), { ...labels, values }];
  },
  run: ({ hidden, weight, labels }) =>
    ops.linearCrossEntropy(hidden!, weight!, labels!, { scale: s.scale, chunkSize: s.chunk }),
}));

export const FUSED_CASES: readonly ConformanceCase[] = [
  ...softmaxCases,
  ...rmsNormCases,
  ...addRmsNormCases,
  ...gatedCases,
  ...ropeCases,
  ...convCases,
  ...convUpdateCases,
  ...scanCases,
  ...stepCases,
  ...ssmDecodeStepCases,
  ...ssmDecodeStepInPlaceCases,
  ...attentionCases,
  ...crossEntropyCases,
  ...adamWCases,
  ...cacheWriteCases,
  ...attentionDecodeStepCases,
  ...parallelMixersDecodeStepCases,
  ...cacheWhereCases,
  ...adamWMultiCases,
  ...swiGluCases,
  ...swiGluPackedCases,
  ...FUSED_MAT_MUL_CASES,
  ...linearCrossEntropyCases,
];

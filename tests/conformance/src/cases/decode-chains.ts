/**
 * Chains of decode-step ops in which each op reads what the op just before it wrote. A single-op case cannot catch a
 * backend that lets a kernel start before its predecessor has finished writing — as CUDA's Programmatic Dependent
 * Launch does on sm_90 (backends/cuda/native/kernels/pdl_launch.cuh): each kernel must wait before its first read of
 * another kernel's output, and the matrix-vector MatMul loads its weight BEFORE that wait unless the op just before
 * wrote it. So:
 *   - MatMul of a few rows (CUDA's matrix-vector path: M ≤ 8, K·size a multiple of 16 bytes; and 16 rows, its skinny
 *     GEMM) whose weight is the output of the op just before it — Slice, Concat, SwiGlu, SwiGluPacked, both outputs
 *     of AddRmsNorm, Gather, another such MatMul: the weight must not be read early;
 *   - the same MatMul with an unrelated op between the weight's producer and the MatMul: the weight may be read early
 *     and must then see the producer's writes (the producer is not the immediate predecessor, so it has completed);
 *   - a decode step in miniature: ArgMax → Gather (the embedding) → AddRmsNorm → MatMul → SwiGluPacked → MatMul →
 *     Concat → MatMul, every op consuming its predecessor's output;
 *   - a hybrid layer's mixing half as the model runs it: AddRmsNorm → one MatMul making the wide packed row
 *     [z x B C dt | q k v] → SsmDecodeStepInPlace (its columns at 0; states in place) → AttentionDecodeStep (q|k|v at
 *     the offset after the SSM's columns, the SSM's y as prefix; the cache in place) → MatMul of [y | o] (the merged
 *     out-projection). Outputs: the logits-like product, y, and the states and cache after the step;
 *   - the same half with the two steps as ONE ParallelMixersDecodeStep, for two tokens in a row: the second step's
 *     row is projected from the first step's output, and it reads the conv state, SSM state and KV cache the first
 *     step wrote (a kernel that returns before its in-place writes land, or reads them early, fails it).
 * All shapes are tiny; every backend runs them.
 */

import type { Tensor } from '@falcon-h1/core-tensor';
import * as ops from '@falcon-h1/core-tensor';
import type { CaseInput, ConformanceCase } from '../case.js';
import { floatIn, intIn, intValues, stateIn } from '../case-inputs.js';
import type { Rng } from '../random.js';
import { type DecodeCache, nextToken, row } from './decode-caches.js';
import {
  type MixersSpec,
  mixersInputs,
  mixersLayout,
  mixersStates,
  mixersStatesAfter,
  mixersStep,
  stepIds,
} from './parallel-mixers-decode-step.js';

const M = 3; // tokens: a matrix-vector MatMul on CUDA
const K = 264; // 528 bytes in 16-bit, 1056 in f32: a multiple of 16
const N = 13; // weight rows: not a multiple of CUDA's four rows per block

interface WeightProducer {
  name: string;
  inputs(rng: Rng): CaseInput[];
  /** The [N, K] weight, computed by the op that runs just before the MatMul. */
  weight(t: Readonly<Record<string, Tensor>>): Tensor;
}

const PRODUCERS: WeightProducer[] = [
  {
    name: 'Slice',
    inputs: (rng) => [floatIn(rng, 'src', [N + 4, K + 16])],
    weight: ({ src }) => ops.slice(src!, [2, 8], [N, K]),
  },
  {
    name: 'Concat',
    inputs: (rng) => [floatIn(rng, 'left', [N, 136]), floatIn(rng, 'right', [N, K - 136])],
    weight: ({ left, right }) => ops.concat([left!, right!], 1),
  },
  {
    name: 'SwiGlu',
    inputs: (rng) => [floatIn(rng, 'gate', [N, K], -4, 4), floatIn(rng, 'up', [N, K])],
    weight: ({ gate, up }) => ops.swiGlu(gate!, up!, 0.5),
  },
  {
    name: 'AddRmsNorm.sum',
    inputs: (rng) => [floatIn(rng, 'x', [N, K]), floatIn(rng, 'r', [N, K]), floatIn(rng, 'w', [K], 0.5, 1.5)],
    weight: ({ x, r, w }) => ops.addRmsNorm(x!, r!, w!, 1e-5).sum,
  },
  {
    name: 'AddRmsNorm.normed',
    inputs: (rng) => [floatIn(rng, 'x', [N, K]), floatIn(rng, 'r', [N, K]), floatIn(rng, 'w', [K], 0.5, 1.5)],
    weight: ({ x, r, w }) => ops.addRmsNorm(x!, r!, w!, 1e-5).normed,
  },
  {
    name: 'Gather',
    inputs: (rng) => [floatIn(rng, 'table', [29, K]), intIn(rng, 'ids', [N], 0, 29)],
    weight: ({ table, ids }) => ops.gather(table!, ids!),
  },
  {
    name: 'SwiGluPacked',
    inputs: (rng) => [floatIn(rng, 'gateUp', [N, 2 * K], -4, 4)],
    weight: ({ gateUp }) => ops.swiGluPacked(gateUp!, 0.5),
  },
  {
    // A weight of 8 rows made by a matrix-vector MatMul itself (8 ≤ CUDA's row limit).
    name: 'MatMul',
    inputs: (rng) => [floatIn(rng, 'p', [8, K]), floatIn(rng, 'q', [K, K])],
    weight: ({ p, q }) => ops.matmul(p!, q!, false, true),
  },
];

/**
 * Rows of the MatMul: M (CUDA's matrix-vector path) and SKINNY — 16 rows, CUDA's tensor-core skinny GEMM in 16-bit
 * (native/kernels/skinny_gemm.cu), which loads its weight before the PDL wait by the same rule.
 */
const SKINNY = 16;
const weightJustWrittenCases: ConformanceCase[] = [M, SKINNY].flatMap((rows) =>
  PRODUCERS.map(
    (p): ConformanceCase => ({
      kernel: 'MatMul',
      params: `a=[${rows},${K}],b=${p.name}(…)ᵀ written by the op just before`,
      inputs: (rng) => [floatIn(rng, 'a', [rows, K]), ...p.inputs(rng)],
      run: (t) => ops.matmul(t.a!, p.weight(t), false, true),
    }),
  ),
);

const weightWrittenEarlierCase: ConformanceCase = {
  kernel: 'MatMul',
  params: `a=[${M},${K}],b=Slice(…)ᵀ written two ops before (SwiGlu between)`,
  inputs: (rng) => [
    floatIn(rng, 'a', [M, K]),
    floatIn(rng, 'src', [N + 4, K + 16]),
    floatIn(rng, 'gate', [5, 40], -4, 4),
    floatIn(rng, 'up', [5, 40]),
  ],
  run: ({ a, src, gate, up }) => {
    const b = ops.slice(src!, [3, 16], [N, K]);
    const between = ops.swiGlu(gate!, up!, 1);
    return { out: ops.matmul(a!, b, false, true), between };
  },
};

// Batch 2, width 264, FFN 24, vocabulary 40: every K a multiple of 8 (CUDA's matrix-vector path in every dtype).
const B = 2;
const D = 264;
const F = 24;
const V = 40;

const decodeStepCase: ConformanceCase = {
  kernel: 'AddRmsNorm',
  params: `decode chain B=${B},D=${D},F=${F},V=${V}: ArgMax→Gather→AddRmsNorm→MatMul→SwiGluPacked→MatMul→Concat→MatMul`,
  inputs: (rng) => [
    floatIn(rng, 'previousLogits', [B, V + 8], -1, 1, false),
    floatIn(rng, 'embed', [V, D]),
    floatIn(rng, 'residual', [B, D]),
    floatIn(rng, 'normW', [D], 0.5, 1.5),
    floatIn(rng, 'wGateUp', [2 * F, D]),
    floatIn(rng, 'wDown', [D, F]),
    floatIn(rng, 'wHead', [V, 2 * D]),
  ],
  run: ({ previousLogits, embed, residual, normW, wGateUp, wDown, wHead }) => {
    // Greedy pick of the previous step's token (a Slice first, so ArgMax reads a kernel's output), then its row.
    const ids = ops.argMax(ops.slice(previousLogits!, [0, 4], [B, V]), -1);
    const h = ops.gather(embed!, ids);
    const { sum, normed } = ops.addRmsNorm(h, residual!, normW!, 1e-5);
    const gateUp = ops.matmul(normed, wGateUp!, false, true);
    const y = ops.swiGluPacked(gateUp, 0.5);
    const down = ops.matmul(y, wDown!, false, true);
    const logits = ops.matmul(ops.concat([down, sum], 1), wHead!, false, true);
    return { ids, sum, logits };
  },
  backward: false,
};

// The mixing half of a hybrid layer: SSM H·P = 4·8 with G = 1, N = 16, K = 4 (100 packed columns: 32 + 64 + 4),
// attention Hq = 4, Hkv = 2, Dh = 16 (128 columns), a 20-slot cache; 3 rows of width 264.
const MIX_B = 3;
const SSM = { h: 4, p: 8, n: 16, k: 4 };
const SSM_CONV = SSM.h * SSM.p + 2 * SSM.n;
const SSM_WIDTH = SSM.h * SSM.p + SSM_CONV + SSM.h;
const ATTN = { hq: 4, hkv: 2, dh: 16, l: 20 };
const ATTN_WIDTH = (ATTN.hq + 2 * ATTN.hkv) * ATTN.dh;
const SLOTS = [5, 0, 19];

const hybridMixingCase: ConformanceCase = {
  kernel: 'SsmDecodeStepInPlace',
  params: `decode chain B=${MIX_B},D=${D}: AddRmsNorm→MatMul [zxBCdt ${SSM_WIDTH} | qkv ${ATTN_WIDTH}]→SsmDecodeStepInPlace→AttentionDecodeStep(offset ${SSM_WIDTH}, prefix y)→MatMul`,
  backward: false,
  inputs: (rng) => [
    floatIn(rng, 'x', [MIX_B, D]),
    floatIn(rng, 'residual', [MIX_B, D]),
    floatIn(rng, 'normW', [D], 0.5, 1.5),
    floatIn(rng, 'wIn', [SSM_WIDTH + ATTN_WIDTH, D], -0.15, 0.15),
    floatIn(rng, 'convState', [MIX_B, SSM_CONV, SSM.k]),
    floatIn(rng, 'convWeight', [SSM_CONV, SSM.k], -0.7, 0.7),
    floatIn(rng, 'convBias', [SSM_CONV], -0.3, 0.3),
    stateIn(rng, 'ssmState', [MIX_B, SSM.h, SSM.p, SSM.n]),
    stateIn(rng, 'dtBias', [SSM.h], -2, -0.5),
    stateIn(rng, 'A', [SSM.h], -2.5, -0.2),
    stateIn(rng, 'Dskip', [SSM.h], 0.5, 1.5),
    floatIn(rng, 'keys', [MIX_B, ATTN.l, ATTN.hkv, ATTN.dh], -2, 2),
    floatIn(rng, 'values', [MIX_B, ATTN.l, ATTN.hkv, ATTN.dh]),
    intValues('positions', [MIX_B], [5, 0, 19]),
    intValues('slots', [MIX_B], SLOTS),
    intValues('qSeq', [MIX_B], [0, 1, 2]),
    intValues(
      'kSeq',
      [MIX_B, ATTN.l],
      SLOTS.flatMap((slot, row) => Array.from({ length: ATTN.l }, (_, j) => (j <= slot ? row : -1))),
    ),
    floatIn(rng, 'wOut', [D, SSM.h * SSM.p + ATTN.hq * ATTN.dh], -0.15, 0.15),
  ],
  run: (t) => {
    const { normed } = ops.addRmsNorm(t.x!, t.residual!, t.normW!, 1e-5);
    const packed = ops.matmul(normed, t.wIn!, false, true);
    const convState = ops.variable(t.convState!);
    const ssmState = ops.variable(t.ssmState!);
    const keys = ops.variable(t.keys!);
    const values = ops.variable(t.values!);
    const y = ops.ssmDecodeStepInPlace(
      {
        zxbcdt: packed,
        convState,
        convWeight: t.convWeight!,
        convBias: t.convBias,
        ssmState,
        dtBias: t.dtBias!,
        A: t.A!,
        D: t.Dskip,
      },
      { gate: 'silu' },
    );
    const mixed = ops.attentionDecodeStep(
      {
        qkv: packed,
        positions: t.positions!,
        keys,
        values,
        slots: t.slots!,
        qSeqIdx: t.qSeq!,
        kSeqIdx: t.kSeq!,
        prefix: y,
      },
      { heads: ATTN.hq, kvHeads: ATTN.hkv, theta: 1e4, offset: SSM_WIDTH },
    );
    const out = ops.matmul(mixed, t.wOut!, false, true);
    // The states and the cache after the step, as plain tensors the case's scope owns; the variables are freed here.
    const result = {
      out,
      y,
      convState: ops.copy(convState),
      ssmState: ops.copy(ssmState),
      keys: ops.copy(keys),
      values: ops.copy(values),
    };
    ops.dispose([convState, ssmState, keys, values]);
    return result;
  },
};

// Two tokens through the mixing half with the fused step: the SSM above (columns at 0) and the attention (q|k|v
// right after), the same cache of 20 slots. Row 0 writes slots 5 then 6, row 1 slots 0 then 1 (a second document
// after empty slots), row 2 slot 19 then none (its cache is full: slot 20 is outside it).
const MIXERS: MixersSpec = {
  ssm: { ...SSM, g: 1, bias: true, d: true },
  attention: { hq: ATTN.hq, hkv: ATTN.hkv, dh: ATTN.dh, theta: 1e4 },
};
const MIXERS_LAYOUT = mixersLayout(MIXERS, { first: 'ssm', before: 0, between: 0, after: 0 });
const FIRST_STEP: DecodeCache = {
  l: ATTN.l,
  slots: [5, 0, 19],
  rows: [row(0, 5, [0, 6], [-1, 14]), row(1, 0, [1, 1], [-1, 19]), row(2, 19, [2, 20])],
};
const SECOND_STEP = nextToken(FIRST_STEP);

const parallelMixersChainCase: ConformanceCase = {
  kernel: 'ParallelMixersDecodeStep',
  params: `decode chain B=${MIX_B},D=${D}, two tokens: (AddRmsNorm→MatMul [zxBCdt ${SSM_WIDTH} | qkv ${ATTN_WIDTH}]→ParallelMixersDecodeStep→MatMul)×2, states carried`,
  backward: false,
  inputs: (rng) => [
    floatIn(rng, 'x', [MIX_B, D]),
    floatIn(rng, 'residual', [MIX_B, D]),
    floatIn(rng, 'normW', [D], 0.5, 1.5),
    floatIn(rng, 'wIn', [MIXERS_LAYOUT.width, D], -0.15, 0.15),
    floatIn(rng, 'wOut', [D, SSM.h * SSM.p + ATTN.hq * ATTN.dh], -0.15, 0.15),
    ...mixersInputs(rng, MIX_B, ATTN.l, MIXERS),
    ...stepIds(FIRST_STEP, '1'),
    ...stepIds(SECOND_STEP, '2'),
  ],
  run: (t) => {
    const states = mixersStates(t);
    let hidden = t.x!;
    let residual = t.residual!;
    const mixed: Tensor[] = [];
    for (const step of ['1', '2']) {
      const { sum, normed } = ops.addRmsNorm(hidden, residual, t.normW!, 1e-5);
      const packed = ops.matmul(normed, t.wIn!, false, true);
      const ids = {
        positions: t[`positions${step}`]!,
        slots: t[`slots${step}`]!,
        qSeqIdx: t[`qSeq${step}`]!,
        kSeqIdx: t[`kSeq${step}`]!,
      };
      mixed.push(mixersStep(MIXERS, t, packed, ids, states, MIXERS_LAYOUT));
      hidden = ops.matmul(mixed.at(-1)!, t.wOut!, false, true);
      residual = sum;
    }
    return { first: mixed[0]!, second: mixed[1]!, out: hidden, ...mixersStatesAfter(states) };
  },
};

export const DECODE_CHAIN_CASES: readonly ConformanceCase[] = [
  ...weightJustWrittenCases,
  weightWrittenEarlierCase,
  decodeStepCase,
  hybridMixingCase,
  parallelMixersChainCase,
];

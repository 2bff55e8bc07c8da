/**
 * Cases for the fused kernels that end in a bias-free projection — a decode step's norm or MLP activation and the
 * MatMul that reads it, one launch:
 *   AddRmsNormMatMul    sum, normed = AddRmsNorm(x, residual, normWeight); y = normed · weightᵀ
 *   SwiGluPackedMatMul  y = SwiGluPacked(gateUp) · weightᵀ
 *   AddRmsNormSwiGluMlp sum, gateUp = AddRmsNormMatMul(x, residual, normWeight, gateUpWeight);
 *                       y = SwiGluPackedMatMul(gateUp, downWeight) — a decode step's whole MLP (CUDA: the activation
 *                       as the gate|up product's epilogue, in the matrix-vector and the skinny kernel)
 * Rows M = 1, 3, 8 (CUDA's matrix-vector path takes M ≤ 8, with the fused op as its prologue) and 13, 16, 32 (its
 * other paths: for 16-bit SwiGluPackedMatMul the skinny GEMM computing each token value as it loads it); the 0.5B's widths (branchesIn: D = 1024 → N = 4120; the MLP's down projection: I = 2048 → N = 1024) and
 * awkward ones (D = 72 → N = 37, I = 40 → N = 29: no multiple of a vector load or of a block's rows). The 0.5B-sized
 * cases run in bf16 (the decode's dtype) and check the forward only: f32 and f16, and the backward (the
 * composition's), are certified on the awkward sizes at every M — the 0.5B sizes in every dtype and direction would
 * add minutes of the float64 oracle's CPU time to the suite.
 * Plus chains in which the fused kernel's weight, or its activation input, was written by the op just before it
 * (decode-chains.ts: CUDA's Programmatic Dependent Launch lets the matrix-vector and skinny kernels load their weight
 * before they wait for their predecessor, unless that predecessor wrote it), and the MLP half of a layer as the model
 * runs it — each at 3 rows (the matrix-vector path) and 13 (the skinny one).
 */

import * as ops from '@falcon-h1/core-tensor';
import type { ConformanceCase } from '../case.js';
import { floatIn } from '../case-inputs.js';
import type { Rng } from '../random.js';

const EPS = 1e-5;
const GATE_MULTIPLIER = 0.883883;
const ROWS = [1, 3, 8, 13, 16, 32];

/** A projection's widths: the input's last axis K (D or I) and the weight's rows N. */
interface Widths {
  k: number;
  n: number;
  tag?: string;
}

const NORM_WIDTHS: Widths[] = [
  { k: 72, n: 37 },
  { k: 1024, n: 4120, tag: 'Falcon-H1-0.5B branchesIn' },
];
const GLU_WIDTHS: Widths[] = [
  { k: 40, n: 29 },
  { k: 2048, n: 1024, tag: 'Falcon-H1-0.5B MLP down' },
];

/** The MLP's widths: D, I (odd: a partial tile of 8 activation columns and an unaligned down weight) and N. */
interface MlpWidths {
  d: number;
  i: number;
  n: number;
  tag?: string;
}
const MLP_WIDTHS: MlpWidths[] = [
  { d: 72, i: 40, n: 29 },
  { d: 72, i: 13, n: 37 },
  { d: 1024, i: 2048, n: 1024, tag: 'Falcon-H1-0.5B MLP' },
];

/** The 0.5B-sized cases: bf16 and forward only (see the top of the file). */
const halfBOnly = (tag: string | undefined): Pick<ConformanceCase, 'dtypes' | 'backward'> =>
  tag === undefined ? {} : { dtypes: ['bf16'], backward: false };

/** [M, K], or [M, 1, K] (a decode step's [B, 1, D]) for odd M. */
const rowsShape = (m: number, k: number): number[] => (m % 2 === 1 ? [m, 1, k] : [m, k]);

/** AddRmsNorm's inputs for M rows of width D: x and residual in [−2, 2], normWeight in [0.5, 1.5]. */
const normInputs = (rng: Rng, m: number, d: number) => [
  floatIn(rng, 'x', rowsShape(m, d), -2, 2),
  floatIn(rng, 'residual', rowsShape(m, d), -2, 2),
  floatIn(rng, 'normWeight', [d], 0.5, 1.5),
];

const addRmsNormMatMulCases: ConformanceCase[] = NORM_WIDTHS.flatMap(({ k: d, n, tag }) =>
  ROWS.map(
    (m): ConformanceCase => ({
      kernel: 'AddRmsNormMatMul',
      params: `x=[${rowsShape(m, d).join(',')}],weight=[${n},${d}],eps=${EPS}`,
      tag,
      ...halfBOnly(tag),
      inputs: (rng: Rng) => [...normInputs(rng, m, d), floatIn(rng, 'weight', [n, d])],
      run: ({ x, residual, normWeight, weight }) => ops.addRmsNormMatMul(x!, residual!, normWeight!, weight!, EPS),
    }),
  ),
);

const swiGluPackedMatMulCases: ConformanceCase[] = GLU_WIDTHS.flatMap(({ k: i, n, tag }) =>
  ROWS.map(
    (m): ConformanceCase => ({
      kernel: 'SwiGluPackedMatMul',
      params: `gateUp=[${rowsShape(m, 2 * i).join(',')}],I=${i},weight=[${n},${i}],gateMultiplier=${GATE_MULTIPLIER}`,
      tag,
      ...halfBOnly(tag),
      inputs: (rng: Rng) => [floatIn(rng, 'gateUp', rowsShape(m, 2 * i), -5, 5), floatIn(rng, 'weight', [n, i])],
      run: ({ gateUp, weight }) => ops.swiGluPackedMatMul(gateUp!, weight!, GATE_MULTIPLIER),
    }),
  ),
);

const addRmsNormSwiGluMlpCases: ConformanceCase[] = MLP_WIDTHS.flatMap(({ d, i, n, tag }) =>
  ROWS.map(
    (m): ConformanceCase => ({
      kernel: 'AddRmsNormSwiGluMlp',
      params: `x=[${rowsShape(m, d).join(',')}],gateUpWeight=[${2 * i},${d}],downWeight=[${n},${i}],eps=${EPS},gateMultiplier=${GATE_MULTIPLIER}`,
      tag,
      ...halfBOnly(tag),
      inputs: (rng: Rng) => [
        ...normInputs(rng, m, d),
        floatIn(rng, 'gateUpWeight', [2 * i, d], -0.5, 0.5),
        floatIn(rng, 'downWeight', [n, i]),
      ],
      run: ({ x, residual, normWeight, gateUpWeight, downWeight }) =>
        ops.addRmsNormSwiGluMlp(x!, residual!, normWeight!, gateUpWeight!, downWeight!, EPS, GATE_MULTIPLIER),
    }),
  ),
);

// The chains: M = 3 or 13 rows (CUDA's matrix-vector or skinny path), width 264 (a multiple of 16 bytes in every
// dtype), 13 weight rows (not a multiple of CUDA's rows per block), an MLP of I = 24.
const CHAIN_ROWS = [3, 13];
const D = 264;
const N = 13;
const I = 24;

const weightJustWrittenCases = (M: number): ConformanceCase[] => [
  {
    kernel: 'AddRmsNormMatMul',
    params: `x=[${M},${D}],weight=Slice(…)=[${N},${D}] written by the op just before`,
    backward: false,
    inputs: (rng) => [
      floatIn(rng, 'x', [M, D]),
      floatIn(rng, 'residual', [M, D]),
      floatIn(rng, 'normWeight', [D], 0.5, 1.5),
      floatIn(rng, 'src', [N + 4, D + 16]),
    ],
    run: ({ x, residual, normWeight, src }) =>
      ops.addRmsNormMatMul(x!, residual!, normWeight!, ops.slice(src!, [2, 8], [N, D]), EPS),
  },
  {
    kernel: 'SwiGluPackedMatMul',
    params: `gateUp=[${M},${2 * D}],weight=SwiGlu(…)=[${N},${D}] written by the op just before`,
    backward: false,
    inputs: (rng) => [
      floatIn(rng, 'gateUp', [M, 2 * D], -4, 4),
      floatIn(rng, 'gate', [N, D], -4, 4),
      floatIn(rng, 'up', [N, D]),
    ],
    run: ({ gateUp, gate, up }) => ops.swiGluPackedMatMul(gateUp!, ops.swiGlu(gate!, up!, 0.5), GATE_MULTIPLIER),
  },
];

/** A decode chain's inputs: the stream and its pending update, pre_ff's norm, the MLP, the next layer's norm and input. */
const mlpChainInputs = (rng: Rng, M: number) => [
  floatIn(rng, 'h', [M, 1, D]),
  floatIn(rng, 'branches', [M, 1, D]),
  floatIn(rng, 'preFf', [D], 0.5, 1.5),
  floatIn(rng, 'wGateUp', [2 * I, D]),
  floatIn(rng, 'wDown', [D, I], -0.5, 0.5),
  floatIn(rng, 'inputNorm', [D], 0.5, 1.5),
  floatIn(rng, 'wIn', [N, D]),
];

// The whole MLP with either weight written by the op just before it (the epilogue kernels' weight loads before the
// PDL wait must not happen then); I = 24 keeps every path aligned in every dtype.
const mlpWeightJustWrittenCases = (M: number): ConformanceCase[] => [
  {
    kernel: 'AddRmsNormSwiGluMlp',
    params: `x=[${M},${D}],gateUpWeight=Slice(…)=[${2 * I},${D}] written by the op just before,downWeight=[${N},${I}]`,
    backward: false,
    inputs: (rng) => [
      floatIn(rng, 'x', [M, D]),
      floatIn(rng, 'residual', [M, D]),
      floatIn(rng, 'normWeight', [D], 0.5, 1.5),
      floatIn(rng, 'src', [2 * I + 4, D + 16], -0.5, 0.5),
      floatIn(rng, 'down', [N, I]),
    ],
    run: ({ x, residual, normWeight, src, down }) =>
      ops.addRmsNormSwiGluMlp(
        x!,
        residual!,
        normWeight!,
        ops.slice(src!, [2, 8], [2 * I, D]),
        down!,
        EPS,
        GATE_MULTIPLIER,
      ),
  },
  {
    kernel: 'AddRmsNormSwiGluMlp',
    params: `x=[${M},${D}],gateUpWeight=[${2 * I},${D}],downWeight=SwiGlu(…)=[${N},${I}] written by the op just before`,
    backward: false,
    inputs: (rng) => [
      floatIn(rng, 'x', [M, D]),
      floatIn(rng, 'residual', [M, D]),
      floatIn(rng, 'normWeight', [D], 0.5, 1.5),
      floatIn(rng, 'gateUp', [2 * I, D], -0.5, 0.5),
      floatIn(rng, 'gate', [N, I], -4, 4),
      floatIn(rng, 'up', [N, I]),
    ],
    run: ({ x, residual, normWeight, gateUp, gate, up }) =>
      ops.addRmsNormSwiGluMlp(x!, residual!, normWeight!, gateUp!, ops.swiGlu(gate!, up!, 0.5), EPS, GATE_MULTIPLIER),
  },
];

// SA_M's MLP half and the next layer's input norm as the static decoder runs them: AddRmsNormSwiGluMlp
// (pre_ff_layernorm → gate|up → SwiGLU → down) → AddRmsNormMatMul (the pending residual add and the next layer's
// input_layernorm → its packed input projection), the second reading what the first wrote.
const saMlpChainCase = (M: number): ConformanceCase => ({
  kernel: 'AddRmsNormSwiGluMlp',
  params: `decode chain B=${M},D=${D},I=${I}: AddRmsNormSwiGluMlp→AddRmsNormMatMul(next in-projection ${N})`,
  backward: false,
  inputs: (rng) => mlpChainInputs(rng, M),
  run: ({ h, branches, preFf, wGateUp, wDown, inputNorm, wIn }) => {
    const ff = ops.addRmsNormSwiGluMlp(h!, branches!, preFf!, wGateUp!, wDown!, EPS, GATE_MULTIPLIER);
    const next = ops.addRmsNormMatMul(ff.sum, ff.y, inputNorm!, wIn!, EPS);
    return { down: ff.y, stream: next.sum, nextIn: next.y };
  },
});

// A layer's MLP half and the next layer's input norm, as the static decoder runs them, each op reading what the one
// before it wrote: AddRmsNormMatMul (pre_ff_layernorm → gate|up) → SwiGluPackedMatMul (→ down) →
// AddRmsNormMatMul (the pending residual add and the next layer's input_layernorm → its packed input projection).
const mlpChainCase = (M: number): ConformanceCase => ({
  kernel: 'AddRmsNormMatMul',
  params: `decode chain B=${M},D=${D},I=${I}: AddRmsNormMatMul(gate|up)→SwiGluPackedMatMul(down)→AddRmsNormMatMul(next in-projection ${N})`,
  backward: false,
  inputs: (rng) => mlpChainInputs(rng, M),
  run: ({ h, branches, preFf, wGateUp, wDown, inputNorm, wIn }) => {
    const ff = ops.addRmsNormMatMul(h!, branches!, preFf!, wGateUp!, EPS);
    const down = ops.swiGluPackedMatMul(ff.y, wDown!, GATE_MULTIPLIER);
    const next = ops.addRmsNormMatMul(ff.sum, down, inputNorm!, wIn!, EPS);
    return { gateUp: ff.y, down, stream: next.sum, nextIn: next.y };
  },
});

export const FUSED_MAT_MUL_CASES: readonly ConformanceCase[] = [
  ...addRmsNormMatMulCases,
  ...swiGluPackedMatMulCases,
  ...addRmsNormSwiGluMlpCases,
  ...CHAIN_ROWS.flatMap((m) => [
    ...weightJustWrittenCases(m),
    mlpChainCase(m),
    ...mlpWeightJustWrittenCases(m),
    saMlpChainCase(m),
  ]),
];

/**
 * Cases for the primitive kernels: every backend must pass all of them.
 */

import type { Tensor, UnaryKernelName } from '@falcon-h1/core-tensor';
import * as ops from '@falcon-h1/core-tensor';
import type { ConformanceCase } from '../case.js';
import { floatIn, intIn } from '../case-inputs.js';

/** Input ranges where each function is well conditioned. */
const UNARY: ReadonlyArray<[UnaryKernelName, (x: Tensor) => Tensor, number, number]> = [
  ['Neg', ops.neg, -3, 3],
  ['Abs', ops.abs, -3, 3],
  ['Exp', ops.exp, -4, 4],
  ['Log', ops.log, 0.1, 5],
  ['Sqrt', ops.sqrt, 0.1, 5],
  ['Rsqrt', ops.rsqrt, 0.1, 5],
  ['Reciprocal', ops.reciprocal, 0.5, 3],
  ['Sigmoid', ops.sigmoid, -8, 8],
  ['Silu', ops.silu, -8, 8],
  ['Softplus', ops.softplus, -30, 30],
  ['Tanh', ops.tanh, -4, 4],
];

const unaryCases: ConformanceCase[] = UNARY.flatMap(([kernel, fn, min, max]) =>
  [[3, 17], [1], [2, 3, 129]].map(
    (shape): ConformanceCase => ({
      kernel,
      params: `shape=[${shape.join(',')}]`,
      inputs: (rng) => [floatIn(rng, 'x', shape, min, max)],
      run: ({ x }) => fn(x!),
    }),
  ),
);

const BINARY = [
  ['Add', ops.add],
  ['Sub', ops.sub],
  ['Mul', ops.mul],
  ['Div', ops.div],
  ['Maximum', ops.maximum],
  ['Minimum', ops.minimum],
] as const;

const BROADCASTS: ReadonlyArray<[number[], number[]]> = [
  [
    [5, 7],
    [5, 7],
  ],
  [
    [2, 1, 5],
    [3, 1],
  ],
  [[4, 33], [33]],
  [[1], [3, 2]],
  [
    [2, 3, 1, 5],
    [1, 3, 4, 1],
  ],
];

const binaryCases: ConformanceCase[] = BINARY.flatMap(([kernel, fn]) =>
  BROADCASTS.map(
    ([sa, sb]): ConformanceCase => ({
      kernel,
      params: `a=[${sa.join(',')}],b=[${sb.join(',')}]`,
      // Div: keep the divisor away from zero.
      inputs: (rng) => [
        floatIn(rng, 'a', sa, -2, 2),
        kernel === 'Div' ? floatIn(rng, 'b', sb, 0.5, 2) : floatIn(rng, 'b', sb, -2, 2),
      ],
      run: ({ a, b }) => fn(a!, b!),
    }),
  ),
);

const intBinaryCases: ConformanceCase[] = BINARY.map(
  ([kernel, fn]): ConformanceCase => ({
    kernel,
    params: 'i32,a=[3,5],b=[5]',
    inputs: (rng) => [intIn(rng, 'a', [3, 5], -50, 50), intIn(rng, 'b', [5], 1, 9)],
    run: ({ a, b }) => fn(a!, b!),
    dtypes: ['f32'],
  }),
);

const COMPARE = [
  ['Equal', ops.equal],
  ['NotEqual', ops.notEqual],
  ['Less', ops.less],
  ['LessEqual', ops.lessEqual],
  ['Greater', ops.greater],
  ['GreaterEqual', ops.greaterEqual],
] as const;

const compareCases: ConformanceCase[] = COMPARE.flatMap(([kernel, fn]) => [
  {
    kernel,
    params: 'i32,a=[4,6],b=[6]',
    // Small integer ranges so that equal values occur.
    inputs: (rng) => [intIn(rng, 'a', [4, 6], 0, 3), intIn(rng, 'b', [6], 0, 3)],
    run: ({ a, b }) => fn(a!, b!),
    dtypes: ['f32'],
  },
  {
    kernel,
    params: 'float,a=[3,1,5],b=[4,5]',
    inputs: (rng) => [floatIn(rng, 'a', [3, 1, 5]), floatIn(rng, 'b', [4, 5])],
    run: ({ a, b }) => fn(a!, b!),
    backward: false,
  },
]);

const whereCases: ConformanceCase[] = [
  {
    kernel: 'Where',
    params: 'cond=[3,1,6],a=[4,6],b=[6]',
    inputs: (rng) => [intIn(rng, 'c', [3, 1, 6], 0, 2), floatIn(rng, 'a', [4, 6]), floatIn(rng, 'b', [6])],
    run: ({ c, a, b }) => ops.where(ops.greater(c!, ops.zeros([], 'i32', c!.backend)), a!, b!),
  },
];

const scaleCases: ConformanceCase[] = [
  {
    kernel: 'Scale',
    params: 'scale=0.390625,shift=-1.25,[7,9]',
    inputs: (rng) => [floatIn(rng, 'x', [7, 9], -3, 3)],
    run: ({ x }) => ops.scale(x!, 0.390625, -1.25),
  },
  {
    kernel: 'Clamp',
    params: 'min=-0.5,max=0.75,[5,13]',
    inputs: (rng) => [floatIn(rng, 'x', [5, 13], -2, 2)],
    run: ({ x }) => ops.clamp(x!, -0.5, 0.75),
  },
  {
    kernel: 'Clamp',
    params: 'min=0.001,max=Infinity,[33]',
    inputs: (rng) => [floatIn(rng, 'x', [33], -2, 2)],
    run: ({ x }) => ops.clamp(x!, 0.001, Number.POSITIVE_INFINITY),
  },
];

const REDUCE = [
  ['Sum', ops.sum],
  ['Mean', ops.mean],
  ['Max', ops.max],
] as const;

const reduceCases: ConformanceCase[] = REDUCE.flatMap(([kernel, fn]) =>
  (
    [
      [[5, 7], [1], false],
      [[5, 7], [0], true],
      [[2, 3, 129], [2], false],
      [[3, 4, 5], [0, 2], true],
      [[6, 1, 9], undefined, false],
    ] as Array<[number[], number[] | undefined, boolean]>
  ).map(
    ([shape, axes, keepDims]): ConformanceCase => ({
      kernel,
      params: `[${shape.join(',')}],axes=${axes ? `[${axes.join(',')}]` : 'all'},keepDims=${keepDims}`,
      inputs: (rng) => [floatIn(rng, 'x', shape)],
      run: ({ x }) => fn(x!, axes, keepDims),
    }),
  ),
);

const argMaxCases: ConformanceCase[] = [
  {
    kernel: 'ArgMax',
    params: '[4,257],axis=-1',
    inputs: (rng) => [floatIn(rng, 'x', [4, 257])],
    run: ({ x }) => ops.argMax(x!, -1),
  },
  {
    // Long rows (a decode step's logits; CUDA takes a block per row): every row holds its maximum twice, so the
    // smaller index must win across threads and warps, not only within one.
    kernel: 'ArgMax',
    params: '[3,2600|2600],axis=-1',
    inputs: (rng) => [floatIn(rng, 'x', [3, 2600])],
    run: ({ x }) => ops.argMax(ops.concat([x!, x!], -1), -1),
  },
  {
    // Long rows of an odd length whose maximum is the last element: CUDA reads an aligned row in 16-byte vectors and
    // then its tail (the maximum there), and the second row, unaligned, element by element.
    kernel: 'ArgMax',
    params: '[2,4098|1],axis=-1 (maximum last)',
    inputs: (rng) => [floatIn(rng, 'x', [2, 4098]), floatIn(rng, 'y', [2, 1], 5, 6)],
    run: ({ x, y }) => ops.argMax(ops.concat([x!, y!], -1), -1),
  },
  {
    kernel: 'ArgMax',
    params: '[9,3,2],axis=0',
    inputs: (rng) => [floatIn(rng, 'x', [9, 3, 2])],
    run: ({ x }) => ops.argMax(x!, 0),
  },
];

const cumsumCases: ConformanceCase[] = (
  [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const
).flatMap(([exclusive, reverse]) =>
  (
    [
      [[3, 41], -1],
      [[17, 2, 3], 0],
    ] as Array<[number[], number]>
  ).map(
    ([shape, axis]): ConformanceCase => ({
      kernel: 'CumSum',
      params: `[${shape.join(',')}],axis=${axis},exclusive=${exclusive},reverse=${reverse}`,
      inputs: (rng) => [floatIn(rng, 'x', shape)],
      run: ({ x }) => ops.cumsum(x!, axis, { exclusive, reverse }),
    }),
  ),
);

const matmulCases: ConformanceCase[] = (
  [
    [[7, 13], [13, 5], false, false],
    [[13, 7], [13, 5], true, false],
    [[7, 13], [5, 13], false, true],
    [[13, 7], [5, 13], true, true],
    [[2, 3, 9, 17], [17, 11], false, false],
    [[3, 1, 6, 4], [2, 4, 5], false, false],
    [[1, 64], [129, 64], false, true],
    [[33, 65], [65, 31], false, false],
    // Decode shapes, x·Wᵀ for a few rows (backends may use a matrix-vector kernel): odd K, N not a multiple of
    // any per-workgroup count, K a multiple of 4 with a remainder past whole unrolled iterations, 1 to 32 rows.
    [[1, 517], [37, 517], false, true],
    [[3, 1, 300], [37, 300], false, true],
    [[2, 3, 260], [45, 260], false, true],
    [[12, 1030], [7, 1030], false, true],
    [[32, 516], [19, 516], false, true],
    // K·size a multiple of 16 bytes in every dtype (CUDA's mat_vec.cu takes these): M = 5 with whole unrolled
    // iterations plus a tail, M = 8 (its largest) with fewer chunks than a warp has lanes.
    [[5, 1032], [41, 1032], false, true],
    [[8, 264], [13, 264], false, true],
    // 9–64 rows with K a multiple of 8 (CUDA's tensor-core skinny_gemm.cu takes these in f16/bf16): token counts
    // that end inside an 8-column tile, N that ends inside a 16-row weight tile (1, 15, 33, 1001), K that is one
    // partial 32-wide chunk (8, 24) or ends in one after more chunks than a block's warps take at once (264, 1032),
    // and N = 10001, wide enough (≥ 4 row tiles per SM up to 156 SMs) for its 32-row tiles.
    [[9, 24], [33, 24], false, true],
    [[16, 8], [15, 8], false, true],
    [[17, 1032], [1, 1032], false, true],
    [[31, 24], [1001, 24], false, true],
    [[32, 1032], [33, 1032], false, true],
    [[40, 264], [15, 264], false, true],
    [[64, 24], [33, 24], false, true],
    [[20, 8], [10001, 8], false, true],
  ] as Array<[number[], number[], boolean, boolean]>
).map(
  ([sa, sb, ta, tb]): ConformanceCase => ({
    kernel: 'MatMul',
    params: `a=[${sa.join(',')}]${ta ? 'ᵀ' : ''},b=[${sb.join(',')}]${tb ? 'ᵀ' : ''}`,
    inputs: (rng) => [floatIn(rng, 'a', sa), floatIn(rng, 'b', sb)],
    run: ({ a, b }) => ops.matmul(a!, b!, ta, tb),
    toleranceScale16: 1,
  }),
);

const layoutCases: ConformanceCase[] = [
  {
    kernel: 'Cast',
    params: 'float→i32 [5,7]',
    inputs: (rng) => [floatIn(rng, 'x', [5, 7], -40, 40)],
    run: ({ x }) => ops.cast(x!, 'i32'),
    dtypes: ['f32'],
  },
  {
    kernel: 'Cast',
    params: 'i32→float [11]',
    inputs: (rng) => [intIn(rng, 'x', [11], -1000, 1000)],
    run: ({ x }) => ops.cast(x!, 'f32'),
    dtypes: ['f32'],
  },
  {
    kernel: 'Cast',
    params: 'f32→bf16→f32 [3,67]',
    inputs: (rng) => [floatIn(rng, 'x', [3, 67], -3, 3)],
    run: ({ x }) => ops.cast(ops.cast(x!, 'bf16'), 'f32'),
    dtypes: ['f32'],
    requires: ['bf16'],
  },
  {
    kernel: 'Copy',
    params: '[4,9]',
    inputs: (rng) => [floatIn(rng, 'x', [4, 9])],
    run: ({ x }) => ops.copy(x!),
  },
  {
    kernel: 'Slice',
    params: '[5,7,9] begin=[1,0,3] size=[3,7,5]',
    inputs: (rng) => [floatIn(rng, 'x', [5, 7, 9])],
    run: ({ x }) => ops.slice(x!, [1, 0, 3], [3, 7, 5]),
  },
  {
    kernel: 'Concat',
    params: '[2,3,4]+[2,5,4]+[2,1,4] axis=1',
    inputs: (rng) => [floatIn(rng, 'a', [2, 3, 4]), floatIn(rng, 'b', [2, 5, 4]), floatIn(rng, 'c', [2, 1, 4])],
    run: ({ a, b, c }) => ops.concat([a!, b!, c!], 1),
  },
  {
    kernel: 'Concat',
    params: '[3,2]+[3,7] axis=-1',
    inputs: (rng) => [floatIn(rng, 'a', [3, 2]), floatIn(rng, 'b', [3, 7])],
    run: ({ a, b }) => ops.concat([a!, b!], -1),
  },
  // Runs contiguous on both sides whose lengths, offsets and strides allow 8- or 16-byte words (backends that copy
  // such runs wide, e.g. CUDA's strided copy): whole rows, several rows, pieces of a last-axis Concat.
  {
    kernel: 'Slice',
    params: '[6,40] begin=[1,8] size=[4,24] (word-aligned rows)',
    inputs: (rng) => [floatIn(rng, 'x', [6, 40])],
    run: ({ x }) => ops.slice(x!, [1, 8], [4, 24]),
  },
  {
    kernel: 'Slice',
    params: '[3,5,16] begin=[0,1,4] size=[3,3,8] (word-aligned rows)',
    inputs: (rng) => [floatIn(rng, 'x', [3, 5, 16])],
    run: ({ x }) => ops.slice(x!, [0, 1, 4], [3, 3, 8]),
  },
  {
    kernel: 'Slice',
    params: '[2,3,40] begin=[0,0,8] size=[2,3,24] (word-aligned rows, the two outer dims one run)',
    inputs: (rng) => [floatIn(rng, 'x', [2, 3, 40])],
    run: ({ x }) => ops.slice(x!, [0, 0, 8], [2, 3, 24]),
  },
  {
    kernel: 'Slice',
    params: '[1,700,96] begin=[0,0,40] size=[1,700,48] (a prefill-shaped column slice, many words per thread)',
    inputs: (rng) => [floatIn(rng, 'x', [1, 700, 96])],
    run: ({ x }) => ops.slice(x!, [0, 0, 40], [1, 700, 48]),
  },
  {
    kernel: 'Concat',
    params: '[5,8]+[5,24]+[5,4] axis=-1 (word-aligned pieces)',
    inputs: (rng) => [floatIn(rng, 'a', [5, 8]), floatIn(rng, 'b', [5, 24]), floatIn(rng, 'c', [5, 4])],
    run: ({ a, b, c }) => ops.concat([a!, b!, c!], -1),
  },
  // Many pieces (backends may copy several in one launch, e.g. CUDA's up to eight): one piece past a group of eight,
  // mixed widths.
  {
    kernel: 'Concat',
    params: '9 pieces [k%3+1,6] axis=0',
    inputs: (rng) => Array.from({ length: 9 }, (_, k) => floatIn(rng, `p${k}`, [(k % 3) + 1, 6])),
    run: (x) =>
      ops.concat(
        Array.from({ length: 9 }, (_, k) => x[`p${k}`]!),
        0,
      ),
  },
  {
    kernel: 'Concat',
    params: '10 pieces [3,2,4k+4] axis=-1 (word-aligned and not)',
    inputs: (rng) =>
      Array.from({ length: 10 }, (_, k) => floatIn(rng, `p${k}`, [3, 2, k % 2 === 0 ? 4 * k + 4 : 2 * k + 1])),
    run: (x) =>
      ops.concat(
        Array.from({ length: 10 }, (_, k) => x[`p${k}`]!),
        -1,
      ),
  },
  {
    kernel: 'Transpose',
    params: '[2,3,5,7] perm=[0,2,1,3]',
    inputs: (rng) => [floatIn(rng, 'x', [2, 3, 5, 7])],
    run: ({ x }) => ops.transpose(x!, [0, 2, 1, 3]),
  },
  {
    kernel: 'Transpose',
    params: '[4,6,3] perm=[2,0,1]',
    inputs: (rng) => [floatIn(rng, 'x', [4, 6, 3])],
    run: ({ x }) => ops.transpose(x!, [2, 0, 1]),
  },
  {
    kernel: 'Fill',
    params: '[3,5] value=0.3535534',
    inputs: () => [],
    run: () => ops.fill([3, 5], 0.3535534, 'f32'),
    dtypes: ['f32'],
  },
  {
    kernel: 'Gather',
    params: 'table=[37,12] ids=[3,5]',
    inputs: (rng) => [floatIn(rng, 'table', [37, 12]), intIn(rng, 'ids', [3, 5], 0, 37)],
    run: ({ table, ids }) => ops.gather(table!, ids!),
  },
  {
    kernel: 'ScatterAdd',
    params: 'updates=[4,6,3] ids=[4,6] (duplicates) rows=5',
    inputs: (rng) => [floatIn(rng, 'u', [4, 6, 3]), intIn(rng, 'ids', [4, 6], 0, 5)],
    run: ({ u, ids }) => ops.scatterAdd(u!, ids!, 5),
  },
];

export const PRIMITIVE_CASES: readonly ConformanceCase[] = [
  ...unaryCases,
  ...binaryCases,
  ...intBinaryCases,
  ...compareCases,
  ...whereCases,
  ...scaleCases,
  ...reduceCases,
  ...argMaxCases,
  ...cumsumCases,
  ...matmulCases,
  ...layoutCases,
];

/**
 * Gradient checks: every differentiable primitive kernel, composite expressions and every fused op, comparing the
 * engine's reverse mode (`vjp`/`grads`, i.e. the gradients of src/gradients/*.grad.ts) with central finite
 * differences, in float64 on the reference backend.
 *
 * Method. For f with outputs o_k and random cotangents dy_k, the analytic side is vjp(f, xs, dys). The numeric
 * side perturbs one input element x_j by ±h with h = 1e-6·max(1, |x_j|) and forms
 *   fd_j = Σ_k Σ_e (o_k(x + h e_j)[e] − o_k(x − h e_j)[e]) · dy_k[e] / ((x_j + h) − (x_j − h)),
 * differencing the outputs elementwise before contracting with dy (outputs x_j does not touch cancel exactly, so
 * the rounding noise is that of the few outputs that depend on x_j). The error of an input is
 *   max_j |analytic_j − fd_j| / max(|fd_j|, 1e-3)
 * and must be ≤ 1e-6. Inputs are random (seeded) on awkward shapes: odd sizes, size-1 dims, broadcast batches.
 *
 * Fused ops run twice: natively (the reference backend's fused forward kernel and, where the contract has one,
 * its backward kernel, e.g. SsmScanGrad), and with `setFallbackPolicy('all')` (core's composition of primitives,
 * differentiated through the primitive gradients). Each run also checks which path ran and that the run left no
 * live tensor behind.
 */
import { createReferenceBackend } from '@falcon-h1/backend-reference';
import {
  abs,
  add,
  addRmsNorm,
  addRmsNormMatMul,
  argMax,
  attention,
  COMPARE_KERNELS,
  cast,
  causalConv1d,
  causalConv1dUpdate,
  clamp,
  concat,
  copy,
  crossEntropy,
  cumsum,
  dispatchCounts,
  div,
  exp,
  expandDims,
  FUSED_KERNELS,
  type FusedKernelName,
  gather,
  getGradient,
  grads,
  greater,
  linear,
  linearCrossEntropy,
  log,
  matmul,
  max,
  maximum,
  mean,
  memory,
  minimum,
  mul,
  neg,
  PRIMITIVE_KERNELS,
  reciprocal,
  registerBackend,
  resetDispatchCounts,
  reshape,
  rmsNorm,
  rmsNormGated,
  rope,
  rsqrt,
  scale,
  scatterAdd,
  setBackend,
  setFallbackPolicy,
  sigmoid,
  silu,
  slice,
  sliceAxis,
  softmax,
  softplus,
  split,
  sqrt,
  square,
  squeeze,
  ssmDecodeStep,
  ssmScan,
  ssmStep,
  sub,
  sum,
  swiGlu,
  swiGluPacked,
  swiGluPackedMatMul,
  Tensor,
  tanh,
  tensor,
  tidy,
  transpose,
  valueAndGrads,
  vjp,
  where,
  zeros,
} from '@falcon-h1/core-tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, randomArray } from '../src/random.js';

type Outputs = Tensor | readonly Tensor[] | Readonly<Record<string, Tensor | undefined>>;

/** One differentiable f64 input: random uniform in [min, max) (default [−1, 1)) unless `values` are given. */
interface InputSpec {
  name: string;
  shape: number[];
  min?: number;
  max?: number;
  /** Random magnitude in [min, max) with a random sign (keeps values away from a kink at 0). */
  signed?: boolean;
  values?: ArrayLike<number>;
}

interface CheckResult {
  label: string;
  errors: Array<{ name: string; error: number; maxFd: number }>;
}

const TOLERANCE = 1e-6;
const FLOOR = 1e-3;
const results: CheckResult[] = [];

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function outputList(out: Outputs): Array<[string, Tensor]> {
  if (out instanceof Tensor) return [['out', out]];
  if (Array.isArray(out)) return (out as readonly Tensor[]).map((t, i) => [String(i), t]);
  return Object.entries(out as Record<string, Tensor | undefined>).filter(
    (e): e is [string, Tensor] => e[1] !== undefined,
  );
}

/** Cotangents shaped like f's result (a tensor, an array or a record). */
function mirror(out: Outputs, dys: Map<string, Tensor>): Tensor | Tensor[] | Record<string, Tensor> {
  if (out instanceof Tensor) return dys.get('out')!;
  if (Array.isArray(out)) return (out as readonly Tensor[]).map((_, i) => dys.get(String(i))!);
  return Object.fromEntries([...dys.entries()]);
}

function makeInputs(specs: readonly InputSpec[], values: readonly Float64Array[]): Tensor[] {
  return specs.map((s, i) => tensor(values[i]!, s.shape, 'f64'));
}

function randomInputs(specs: readonly InputSpec[], seed: number): Float64Array[] {
  const rng = createRng(seed);
  return specs.map((s) => {
    if (s.values) return Float64Array.from(s.values);
    const n = sizeOf(s.shape);
    const values = randomArray(rng, n, s.min ?? -1, s.max ?? 1);
    if (s.signed) for (let i = 0; i < n; i++) if (rng.next() < 0.5) values[i] = -values[i]!;
    return values;
  });
}

/**
 * Checks f's reverse-mode gradients against central finite differences and returns the maximum error per input.
 * Also asserts the analytic gradients are finite and that nothing leaked.
 */
function gradcheck(label: string, specs: readonly InputSpec[], f: (xs: Tensor[]) => Outputs, seed = 1): CheckResult {
  const values = randomInputs(specs, seed);
  const rng = createRng(seed + 7919);
  const before = memory();

  const evaluate = (vals: readonly Float64Array[]): Float64Array[] =>
    tidy(() => outputList(f(makeInputs(specs, vals))).map(([, t]) => Float64Array.from(t.dataSync() as Float64Array)));

  const outInfo = tidy(() =>
    outputList(f(makeInputs(specs, values))).map(([key, t]) => ({ key, shape: [...t.shape], dtype: t.dtype })),
  );
  for (const o of outInfo) expect(o.dtype, `${label}: output ${o.key}`).toBe('f64');
  const dyValues = outInfo.map((o) => randomArray(rng, sizeOf(o.shape), -1, 1));

  const analytic = tidy(() => {
    const xs = makeInputs(specs, values);
    const dys = new Map(outInfo.map((o, i) => [o.key, tensor(dyValues[i]!, o.shape, 'f64')] as const));
    const { grads: g } = vjp(
      () => f(xs),
      xs,
      (value) => mirror(value, dys),
    );
    return g.map((t, i) => {
      expect(t.shape, `${label}: gradient shape of ${specs[i]!.name}`).toEqual(specs[i]!.shape);
      return Float64Array.from(t.dataSync() as Float64Array);
    });
  });

  const errors: CheckResult['errors'] = [];
  specs.forEach((spec, i) => {
    const a = analytic[i]!;
    let worst = 0;
    let maxFd = 0;
    let where = -1;
    let fdAtWorst = 0;
    for (let j = 0; j < a.length; j++) {
      if (!Number.isFinite(a[j]!)) throw new Error(`${label}: d/d${spec.name}[${j}] is ${a[j]} (not finite)`);
      const x0 = values[i]![j]!;
      const h = 1e-6 * Math.max(1, Math.abs(x0));
      const plus = Float64Array.from(values[i]!);
      const minus = Float64Array.from(values[i]!);
      plus[j] = x0 + h;
      minus[j] = x0 - h;
      const op = evaluate(values.map((v, k) => (k === i ? plus : v)));
      const om = evaluate(values.map((v, k) => (k === i ? minus : v)));
      let acc = 0;
      for (let k = 0; k < op.length; k++) {
        const p = op[k]!;
        const m = om[k]!;
        const dy = dyValues[k]!;
        for (let e = 0; e < p.length; e++) {
          const d = p[e]! - m[e]!;
          if (d !== 0) acc += d * dy[e]!;
        }
      }
      const fd = acc / (plus[j]! - minus[j]!);
      const err = Math.abs(a[j]! - fd) / Math.max(Math.abs(fd), FLOOR);
      maxFd = Math.max(maxFd, Math.abs(fd));
      if (err > worst) {
        worst = err;
        where = j;
        fdAtWorst = fd;
      }
    }
    errors.push({ name: spec.name, error: worst, maxFd });
    expect(
      worst,
      `${label}: d/d${spec.name} differs from finite differences at element ${where}: analytic ${a[where]}, fd ${fdAtWorst}`,
    ).toBeLessThanOrEqual(TOLERANCE);
  });

  const after = memory();
  expect(after.numTensors, `${label}: live tensors after the check`).toBe(before.numTensors);
  expect(after.numBuffers, `${label}: live buffers after the check`).toBe(before.numBuffers);
  const result = { label, errors };
  results.push(result);
  return result;
}

/** An i32 constant (indices, labels, document ids, positions). */
const ints = (values: readonly number[], shape: readonly number[]): Tensor => tensor(values, shape, 'i32');
/** A u8 mask constant. */
const mask = (values: readonly number[], shape: readonly number[]): Tensor => tensor(values, shape, 'u8');

beforeAll(async () => {
  registerBackend('reference', createReferenceBackend, 1);
  await setBackend('reference');
});

afterAll(() => {
  setFallbackPolicy('none');
  const lines = results.flatMap((r) =>
    r.errors.map(
      (e) =>
        `${r.label.padEnd(58)} ${e.name.padEnd(14)} ${e.error.toExponential(2)}  (max |fd| ${e.maxFd.toExponential(2)})`,
    ),
  );
  const worst = Math.max(0, ...results.flatMap((r) => r.errors.map((e) => e.error)));
  console.log(
    `gradcheck: ${lines.length} input gradients, worst relative error ${worst.toExponential(2)}\n${lines.join('\n')}`,
  );
});

// -----------------------------------------------------------------------------------------------------------------
// Primitive kernels
// -----------------------------------------------------------------------------------------------------------------

describe('gradient registry', () => {
  const NONE = new Set<string>([...COMPARE_KERNELS, 'ArgMax', 'Fill']);
  it.each(PRIMITIVE_KERNELS.map((k) => [k]))('%s', (kernel) => {
    if (NONE.has(kernel)) expect(getGradient(kernel), `${kernel} must have no gradient`).toBeUndefined();
    else expect(getGradient(kernel), `${kernel} needs a gradient`).toBeTypeOf('function');
  });

  it('every differentiable fused kernel has a gradient (backward kernels and in-place kernels do not)', () => {
    for (const kernel of FUSED_KERNELS) {
      const none =
        kernel.endsWith('Grad') ||
        kernel === 'AdamW' ||
        kernel === 'AdamWMulti' ||
        kernel === 'CacheWrite' ||
        kernel === 'AttentionDecodeStep' ||
        kernel === 'SsmDecodeStepInPlace' ||
        kernel === 'ParallelMixersDecodeStep';
      expect(getGradient(kernel) === undefined, kernel).toBe(none);
    }
  });

  it('integer-valued ops are not recorded: a path through argMax and a comparison carries no gradient', () => {
    const x = tensor([0.1, 0.9, 0.3, 0.7, 0.2, 0.4], [2, 3], 'f64');
    const table = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3], 'f64');
    const [gx, gt] = grads(
      () => sum(mul(gather(table, argMax(x, 1)), cast(greater(x, zeros([], 'f64')), 'f64'))),
      [x, table],
    );
    expect([...(gx!.dataSync() as Float64Array)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...(gt!.dataSync() as Float64Array)]).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0]); // rows argMax picked
    for (const t of [x, table, gx!, gt!]) t.dispose();
  });
});

describe('primitive gradients vs finite differences (f64, reference backend)', () => {
  const unaryCases: Array<[string, (x: Tensor) => Tensor, Omit<InputSpec, 'name' | 'shape'>]> = [
    ['Neg', neg, {}],
    ['Abs', abs, { min: 0.05, max: 1.5, signed: true }],
    ['Exp', exp, { min: -2, max: 2 }],
    ['Log', log, { min: 0.2, max: 3 }],
    ['Sqrt', sqrt, { min: 0.2, max: 3 }],
    ['Rsqrt', rsqrt, { min: 0.2, max: 3 }],
    ['Reciprocal', reciprocal, { min: 0.3, max: 2, signed: true }],
    ['Sigmoid', sigmoid, { min: -4, max: 4 }],
    ['Silu', silu, { min: -4, max: 4 }],
    ['Softplus', softplus, { min: -4, max: 4 }],
    ['Tanh', tanh, { min: -2.5, max: 2.5 }],
  ];
  it.each(unaryCases)('%s', (name, op, range) => {
    gradcheck(`${name} [3, 1, 5]`, [{ name: 'x', shape: [3, 1, 5], ...range }], ([x]) => op(x!));
  });

  it('unary ops on a scalar and on an empty tensor', () => {
    gradcheck('Tanh []', [{ name: 'x', shape: [] }], ([x]) => tanh(x!));
    const x = zeros([0, 3], 'f64');
    const [g] = grads(() => sum(exp(x)), [x]);
    expect(g!.shape).toEqual([0, 3]);
    g!.dispose();
    x.dispose();
  });

  const broadcastPairs: Array<[number[], number[]]> = [
    [
      [3, 5],
      [3, 5],
    ],
    [
      [3, 1, 5],
      [4, 1],
    ],
    [[2, 3], [3]],
    [[], [2, 3]],
    [
      [5, 1],
      [1, 1, 7],
    ],
    [[1], [1]],
  ];
  const binaryCases: Array<[string, (a: Tensor, b: Tensor) => Tensor, Partial<InputSpec>]> = [
    ['Add', add, {}],
    ['Sub', sub, {}],
    ['Mul', mul, {}],
    ['Div', div, { min: 0.4, max: 2, signed: true }],
    ['Maximum', maximum, {}],
    ['Minimum', minimum, {}],
  ];
  for (const [name, op, bRange] of binaryCases) {
    it.each(broadcastPairs)(`${name} %j with %j`, (aShape, bShape) => {
      gradcheck(
        `${name} ${JSON.stringify(aShape)} ⊕ ${JSON.stringify(bShape)}`,
        [
          { name: 'a', shape: aShape },
          { name: 'b', shape: bShape, ...bRange },
        ],
        ([a, b]) => op(a!, b!),
      );
    });
  }

  it('Scale', () => {
    gradcheck('Scale ×−1.7 +0.3', [{ name: 'x', shape: [4, 3] }], ([x]) => scale(x!, -1.7, 0.3));
  });

  it('Clamp (finite and infinite bounds)', () => {
    gradcheck('Clamp [−0.5, 0.4]', [{ name: 'x', shape: [5, 7] }], ([x]) => clamp(x!, -0.5, 0.4));
    gradcheck('Clamp [−∞, 0.1]', [{ name: 'x', shape: [3, 5] }], ([x]) => clamp(x!, Number.NEGATIVE_INFINITY, 0.1));
    gradcheck('Clamp [−0.2, +∞]', [{ name: 'x', shape: [3, 5] }], ([x]) => clamp(x!, -0.2, Number.POSITIVE_INFINITY));
  });

  it('Where with a broadcast condition and broadcast branches', () => {
    const cond = [1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1];
    gradcheck(
      'Where c[3,1,5] a[4,1] b[5]',
      [
        { name: 'a', shape: [4, 1] },
        { name: 'b', shape: [5] },
      ],
      ([a, b]) => where(mask(cond, [3, 1, 5]), a!, b!),
    );
    gradcheck(
      'Where from a comparison',
      [
        { name: 'a', shape: [2, 3, 4] },
        { name: 'b', shape: [2, 3, 4] },
      ],
      ([a, b]) => where(greater(a!, b!), mul(a!, b!), square(b!)),
    );
  });

  const reductions: Array<[string, (x: Tensor, axes?: number | number[], keep?: boolean) => Tensor]> = [
    ['Sum', sum],
    ['Mean', mean],
    ['Max', max],
  ];
  const reductionAxes: Array<[number[], number | number[] | undefined, boolean]> = [
    [[2, 3, 5], 1, false],
    [[2, 3, 5], [0, 2], true],
    [[2, 3, 5], undefined, false],
    [[3, 1, 4], 1, false],
    [[3, 1, 4], -1, true],
    [[7], 0, true],
  ];
  for (const [name, op] of reductions) {
    it.each(reductionAxes)(`${name} of %j over %j (keepDims %s)`, (shape, axes, keep) => {
      gradcheck(
        `${name} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keep ${keep}`,
        [{ name: 'x', shape }],
        ([x]) => op(x!, axes, keep),
      );
    });
  }

  it.each([
    [0, false, false],
    [1, false, false],
    [-1, true, false],
    [1, false, true],
    [2, true, true],
  ])('CumSum axis %d exclusive %s reverse %s', (axis, exclusive, reverse) => {
    gradcheck(
      `CumSum [3, 5, 2] axis ${axis} excl ${exclusive} rev ${reverse}`,
      [{ name: 'x', shape: [3, 5, 2] }],
      ([x]) => cumsum(x!, axis, { exclusive, reverse }),
    );
  });

  describe('MatMul', () => {
    // M = 3, K = 4, N = 2; a's batch [2, 1] and b's batch [3] broadcast to [2, 3].
    const shapeA = (batch: number[], t: boolean): number[] => [...batch, ...(t ? [4, 3] : [3, 4])];
    const shapeB = (batch: number[], t: boolean): number[] => [...batch, ...(t ? [2, 4] : [4, 2])];
    const combos: Array<[boolean, boolean]> = [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ];
    it.each(combos)('transposeA %s transposeB %s, rank 2', (ta, tb) => {
      gradcheck(
        `MatMul tA ${ta} tB ${tb}`,
        [
          { name: 'a', shape: shapeA([], ta) },
          { name: 'b', shape: shapeB([], tb) },
        ],
        ([a, b]) => matmul(a!, b!, ta, tb),
      );
    });
    it.each(combos)('transposeA %s transposeB %s, batch [2,1] × [3]', (ta, tb) => {
      gradcheck(
        `MatMul tA ${ta} tB ${tb} batch [2,1]×[3]`,
        [
          { name: 'a', shape: shapeA([2, 1], ta) },
          { name: 'b', shape: shapeB([3], tb) },
        ],
        ([a, b]) => matmul(a!, b!, ta, tb),
      );
    });
    it('a shared weight against a batch (b rank 2, a rank 4) and size-1 dims', () => {
      gradcheck(
        'MatMul [2,3,1,5]·[5,1]',
        [
          { name: 'a', shape: [2, 3, 1, 5] },
          { name: 'b', shape: [5, 1] },
        ],
        ([a, b]) => matmul(a!, b!),
      );
    });
  });

  it('Cast: f64 → f64 by finite differences; f64 → f32 casts the gradient back; int casts give none', () => {
    gradcheck('Cast f64→f64', [{ name: 'x', shape: [2, 3] }], ([x]) => cast(x!, 'f64'));
    const x = tensor([0.5, -1.25, 2], [3], 'f64');
    const dy = tensor([1.5, -2, 0.25], [3], 'f32');
    const { value, grads: g } = vjp(() => cast(x, 'f32'), [x], dy);
    expect(value.dtype).toBe('f32');
    expect(g[0]!.dtype).toBe('f64');
    expect([...g[0]!.dataSync()]).toEqual([1.5, -2, 0.25]);
    const [gi] = grads(() => sum(cast(cast(x, 'i32'), 'f64')), [x]);
    expect([...gi!.dataSync()]).toEqual([0, 0, 0]);
    for (const t of [x, dy, value, ...g, gi!]) t.dispose();
  });

  it('Copy', () => {
    gradcheck('Copy', [{ name: 'x', shape: [3, 1, 2] }], ([x]) => copy(x!));
  });

  it('Slice (interior, edges, full axes, size-1 result)', () => {
    gradcheck('Slice [4,5,3] b[1,0,1] s[2,5,1]', [{ name: 'x', shape: [4, 5, 3] }], ([x]) =>
      slice(x!, [1, 0, 1], [2, 5, 1]),
    );
    gradcheck('Slice [5,7] b[0,3] s[5,-1]', [{ name: 'x', shape: [5, 7] }], ([x]) => slice(x!, [0, 3], [5, -1]));
    gradcheck('Slice [5,7] b[4,6] s[1,1]', [{ name: 'x', shape: [5, 7] }], ([x]) => slice(x!, [4, 6], [1, 1]));
    gradcheck('sliceAxis [3,6] axis 1 [2,5)', [{ name: 'x', shape: [3, 6] }], ([x]) => sliceAxis(x!, 1, 2, 3));
  });

  it('Concat along each axis, with a size-1 piece', () => {
    for (const axis of [0, 1, 2, -1]) {
      const shapes = [0, 1, 2].map((i) => {
        const s = [2, 3, 4];
        s[axis < 0 ? 3 + axis : axis] = [2, 1, 3][i]!;
        return s;
      });
      gradcheck(
        `Concat axis ${axis}`,
        shapes.map((shape, i) => ({ name: `x${i}`, shape })),
        (xs) => concat(xs, axis),
      );
    }
  });

  it('Transpose', () => {
    gradcheck('Transpose [2,3,4,5] perm [2,0,3,1]', [{ name: 'x', shape: [2, 3, 4, 5] }], ([x]) =>
      transpose(x!, [2, 0, 3, 1]),
    );
    gradcheck('Transpose default (reverse)', [{ name: 'x', shape: [3, 1, 2] }], ([x]) => transpose(x!));
  });

  it('Gather with duplicate indices (table rank 2 and rank 1)', () => {
    gradcheck('Gather [7,3] by [2,4]', [{ name: 'table', shape: [7, 3] }], ([t]) =>
      gather(t!, ints([0, 6, 2, 2, 5, 0, 0, 3], [2, 4])),
    );
    gradcheck('Gather [5] by [6]', [{ name: 'table', shape: [5] }], ([t]) => gather(t!, ints([4, 4, 1, 0, 4, 2], [6])));
  });

  it('ScatterAdd with duplicate indices', () => {
    gradcheck('ScatterAdd [5,3] into 4 rows', [{ name: 'updates', shape: [5, 3] }], ([u]) =>
      scatterAdd(u!, ints([3, 0, 3, 1, 3], [5]), 4),
    );
    gradcheck('ScatterAdd [2,3] into 6 rows', [{ name: 'updates', shape: [2, 3] }], ([u]) =>
      scatterAdd(u!, ints([1, 5, 1, 0, 2, 5], [2, 3]), 6),
    );
  });

  it('Reshape, expandDims, squeeze (views)', () => {
    gradcheck('reshape/expandDims/squeeze', [{ name: 'x', shape: [2, 3, 4] }], ([x]) =>
      mul(squeeze(expandDims(reshape(x!, [4, -1]), 1)), reshape(x!, [4, 6])),
    );
  });
});

// -----------------------------------------------------------------------------------------------------------------
// Exact values at kinks and ties (documented conventions), and no NaN where the forward is finite
// -----------------------------------------------------------------------------------------------------------------

describe('gradient conventions at kinks and ties', () => {
  const values = (t: Tensor): number[] => [...(t.dataSync() as Float64Array)];

  it('Abs: sign(x), 0 at 0', () => {
    const x = tensor([-2, 0, 3, -0], [4], 'f64');
    const [g] = grads(() => sum(abs(x)), [x]);
    expect(values(g!)).toEqual([-1, 0, 1, 0]);
    x.dispose();
    g!.dispose();
  });

  it('Clamp: the gradient passes where min ≤ x ≤ max (bounds inclusive, as PyTorch)', () => {
    const x = tensor([-1, -0.5, 0, 0.4, 1, Number.NaN], [6], 'f64');
    const [g] = grads(() => sum(clamp(x, -0.5, 0.4)), [x]);
    expect(values(g!)).toEqual([0, 1, 1, 1, 0, 0]);
    x.dispose();
    g!.dispose();
  });

  it('Maximum/Minimum: the selected operand gets dy, a tie splits it half/half', () => {
    const a = tensor([1, 2, 3], [3], 'f64');
    const b = tensor([2, 2, 1], [3], 'f64');
    const [ga, gb] = grads(() => sum(maximum(a, b)), [a, b]);
    expect(values(ga!)).toEqual([0, 0.5, 1]);
    expect(values(gb!)).toEqual([1, 0.5, 0]);
    const [ha, hb] = grads(() => sum(minimum(a, b)), [a, b]);
    expect(values(ha!)).toEqual([1, 0.5, 0]);
    expect(values(hb!)).toEqual([0, 0.5, 1]);
    for (const t of [a, b, ga!, gb!, ha!, hb!]) t.dispose();
  });

  it('Max: dy is split evenly among tied maxima (like PyTorch amax)', () => {
    const x = tensor([1, 3, 3, 0, 5, 2, 5, 5], [2, 4], 'f64');
    const [g] = grads(() => sum(max(x, 1)), [x]);
    expect(values(g!)).toEqual([0, 0.5, 0.5, 0, 1 / 3, 0, 1 / 3, 1 / 3]);
    x.dispose();
    g!.dispose();
  });

  it('Where: an unselected branch gets exactly 0 even where dy is infinite or NaN', () => {
    const c = mask([1, 0, 1, 0], [4]);
    const a = tensor([1, 2, 3, 4], [4], 'f64');
    const b = tensor([5, 6, 7, 8], [4], 'f64');
    const dy = tensor([Number.POSITIVE_INFINITY, Number.NaN, 2, 3], [4], 'f64');
    const { value, grads: g } = vjp(() => where(c, a, b), [a, b], dy);
    const ga = values(g[0]!);
    const gb = values(g[1]!);
    expect(ga[0]).toBe(Number.POSITIVE_INFINITY);
    expect(ga.slice(1)).toEqual([0, 2, 0]);
    expect(gb[0]).toBe(0);
    expect(gb[1]).toBeNaN();
    expect(gb.slice(2)).toEqual([0, 3]);
    for (const t of [c, a, b, dy, value, ...g]) t.dispose();
  });

  it('saturating activations keep their relative precision (f64 and bf16)', () => {
    const xs = [-30, -9, -3.5, -0.7, 0.4, 2.9, 8, 25];
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const expected: Array<[string, (x: Tensor) => Tensor, (v: number) => number]> = [
      ['sigmoid', sigmoid, (v) => sig(v) * sig(-v)],
      ['tanh', tanh, (v) => 1 / Math.cosh(v) ** 2],
      ['silu', silu, (v) => sig(v) * (1 + v * sig(-v))],
      ['softplus', softplus, (v) => sig(v)],
    ];
    for (const dtype of ['f64', 'bf16'] as const) {
      for (const [name, op, derivative] of expected) {
        const x = tensor(xs, [xs.length], dtype);
        const [g] = grads(() => sum(op(x)), [x]);
        const got = [...(g!.dataSync() as Float32Array | Float64Array)];
        const input = [...(x.dataSync() as Float32Array | Float64Array)]; // the bf16-rounded inputs
        got.forEach((v, i) => {
          const want = derivative(input[i]!);
          const rel = Math.abs(v - want) / Math.abs(want);
          expect(rel, `${name}'(${input[i]}) in ${dtype}: got ${v}, want ${want}`).toBeLessThan(
            dtype === 'f64' ? 1e-12 : 2e-2,
          );
        });
        x.dispose();
        g!.dispose();
      }
    }
  });

  it('no NaN or infinity where the forward is finite (saturating activations, where, clamp, abs at 0)', () => {
    const x = tensor([-800, -40, 0, 40, 800], [5], 'f64');
    const f = (): Tensor =>
      add(
        add(sum(silu(x)), sum(sigmoid(x))),
        add(add(sum(softplus(x)), sum(tanh(x))), sum(where(greater(x, zeros([], 'f64')), clamp(x, -1, 1), abs(x)))),
      );
    const { value, grads: g } = valueAndGrads(f, [x]);
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    for (const v of values(g[0]!)) expect(Number.isFinite(v)).toBe(true);
    value.dispose();
    g[0]!.dispose();
    x.dispose();
  });
});

// -----------------------------------------------------------------------------------------------------------------
// Composite expressions
// -----------------------------------------------------------------------------------------------------------------

describe('composite expressions vs finite differences', () => {
  it('a two-layer MLP with broadcasting (linear, bias, per-feature gain, tanh, silu, mean-squared error)', () => {
    const target = randomArray(createRng(3), 5 * 3 * 2, -1, 1);
    gradcheck(
      'MLP [5,3,4]→7→2 with broadcast gain',
      [
        { name: 'x', shape: [5, 3, 4] },
        { name: 'w1', shape: [7, 4], min: -0.8, max: 0.8 },
        { name: 'b1', shape: [7] },
        { name: 'gain', shape: [3, 1], min: 0.5, max: 1.5 },
        { name: 'w2', shape: [2, 7], min: -0.8, max: 0.8 },
        { name: 'b2', shape: [1, 1, 2] },
      ],
      ([x, w1, b1, gain, w2, b2]) => {
        const h = tanh(linear(x!, w1!, b1!));
        const g = mul(silu(h), gain!);
        const y = add(matmul(g, w2!, false, true), b2!);
        return mean(square(sub(y, tensor(target, [5, 3, 2], 'f64'))));
      },
    );
  });

  it('softmax cross-entropy written with primitives (max-shifted log-sum-exp, one-hot)', () => {
    const labels = [2, 0, 4, 4, 1];
    const onehot = labels.flatMap((l) => [0, 1, 2, 3, 4].map((v) => (v === l ? 1 : 0)));
    gradcheck(
      'primitive softmax-CE [5,3]·[3,5]',
      [
        { name: 'x', shape: [5, 3] },
        { name: 'w', shape: [3, 5], min: -2, max: 2 },
      ],
      ([x, w]) => {
        const logits = matmul(x!, w!);
        const m = max(logits, -1, true);
        const shifted = sub(logits, m);
        const lse = log(sum(exp(shifted), -1, true));
        const logp = sub(shifted, lse);
        return neg(mean(sum(mul(logp, tensor(onehot, [5, 5], 'f64')), -1)));
      },
    );
  });

  it('softmax → crossEntropy → mean through the public fused ops', () => {
    gradcheck(
      'fused softmax + crossEntropy chain',
      [
        { name: 'x', shape: [4, 6] },
        { name: 'w', shape: [6, 5], min: -1.5, max: 1.5 },
      ],
      ([x, w]) => {
        const logits = matmul(softmax(x!), w!);
        return mean(crossEntropy(logits, ints([1, 4, -100, 0], [4])));
      },
    );
  });

  it('reshape / transpose / slice / concat / split / gather chains', () => {
    gradcheck(
      'layout chain',
      [
        { name: 'x', shape: [2, 3, 4] },
        { name: 'y', shape: [4, 2] },
      ],
      ([x, y]) => {
        const t = transpose(reshape(x!, [6, 4]), [1, 0]); // [4, 6]
        const [p, q] = split(t, [2, 4], 1); // [4, 2], [4, 4]
        const r = concat([slice(q!, [1, 0], [3, 4]), transpose(y!)], 0); // [5, 4]
        const s = gather(r, ints([4, 0, 0, 2], [4])); // [4, 4]
        const u = mul(s, concat([p!, p!], 1));
        return cumsum(reshape(u, [2, 8]), 1, { reverse: true });
      },
    );
  });

  it('a tensor used many times (gradient accumulation)', () => {
    gradcheck('x used four times', [{ name: 'x', shape: [3, 4] }], ([x]) =>
      add(mul(x!, x!), sum(mul(exp(x!), x!), 0, true)),
    );
  });
});

// -----------------------------------------------------------------------------------------------------------------
// Fused ops: native kernels and compositions
// -----------------------------------------------------------------------------------------------------------------

interface FusedCase {
  name: string;
  /** The fused forward kernels the case runs, and the backward kernels (where the contract has one). */
  forward: FusedKernelName[];
  backward: FusedKernelName[];
  inputs: InputSpec[];
  f: (xs: Tensor[]) => Outputs;
}

const B = 2;

const FUSED_CASES: FusedCase[] = [
  {
    name: 'softmax [3,7]',
    forward: ['Softmax'],
    backward: ['SoftmaxGrad'],
    inputs: [{ name: 'x', shape: [3, 7], min: -3, max: 3 }],
    f: ([x]) => softmax(x!),
  },
  {
    name: 'softmax [2,1,5]',
    forward: ['Softmax'],
    backward: ['SoftmaxGrad'],
    inputs: [{ name: 'x', shape: [2, 1, 5], min: -3, max: 3 }],
    f: ([x]) => softmax(x!),
  },
  {
    name: 'rmsNorm [2,3,6]',
    forward: ['RmsNorm'],
    backward: ['RmsNormGrad'],
    inputs: [
      { name: 'x', shape: [2, 3, 6] },
      { name: 'weight', shape: [6], min: 0.5, max: 1.5 },
    ],
    f: ([x, w]) => rmsNorm(x!, w!, 1e-5),
  },
  {
    // Decode only, but differentiable: its gradient is the composition's vjp (Add, then RmsNorm's own gradient).
    name: 'addRmsNorm [2,3,6], loss on sum and normed',
    forward: ['AddRmsNorm'],
    backward: [],
    inputs: [
      { name: 'x', shape: [2, 3, 6] },
      { name: 'residual', shape: [2, 3, 6] },
      { name: 'weight', shape: [6], min: 0.5, max: 1.5 },
    ],
    f: ([x, r, w]) => addRmsNorm(x!, r!, w!, 1e-5),
  },
  {
    // Decode only, but differentiable: its gradient is the composition's vjp (AddRmsNorm's, then MatMul's).
    name: 'addRmsNormMatMul [2,3,6] · [5,6]ᵀ, loss on sum and y',
    forward: ['AddRmsNormMatMul'],
    backward: [],
    inputs: [
      { name: 'x', shape: [2, 3, 6] },
      { name: 'residual', shape: [2, 3, 6] },
      { name: 'normWeight', shape: [6], min: 0.5, max: 1.5 },
      { name: 'weight', shape: [5, 6] },
    ],
    f: ([x, r, nw, w]) => addRmsNormMatMul(x!, r!, nw!, w!, 1e-5),
  },
  {
    name: 'rmsNormGated [2,3,8] groups of 4, gate then norm',
    forward: ['RmsNormGated'],
    backward: ['RmsNormGatedGrad'],
    inputs: [
      { name: 'x', shape: [2, 3, 8] },
      { name: 'z', shape: [2, 3, 8], min: -2, max: 2 },
      { name: 'weight', shape: [8], min: 0.5, max: 1.5 },
    ],
    f: ([x, z, w]) => rmsNormGated(x!, z!, w!, { eps: 1e-5, groupSize: 4 }),
  },
  {
    name: 'rmsNormGated [3,6] one group, norm before gate',
    forward: ['RmsNormGated'],
    backward: ['RmsNormGatedGrad'],
    inputs: [
      { name: 'x', shape: [3, 6] },
      { name: 'z', shape: [3, 6], min: -2, max: 2 },
      { name: 'weight', shape: [6], min: 0.5, max: 1.5 },
    ],
    f: ([x, z, w]) => rmsNormGated(x!, z!, w!, { eps: 1e-6, normBeforeGate: true }),
  },
  {
    name: 'rope [2,3,2,6]',
    forward: ['Rope'],
    backward: ['Rope'],
    inputs: [{ name: 'x', shape: [B, 3, 2, 6] }],
    f: ([x]) => rope(x!, ints([0, 1, 2, 7, 3, 11], [B, 3]), 10000),
  },
  {
    name: 'rope inverse [1,4,1,4]',
    forward: ['Rope'],
    backward: ['Rope'],
    inputs: [{ name: 'x', shape: [1, 4, 1, 4] }],
    f: ([x]) => rope(x!, ints([5, 6, 7, 8], [1, 4]), 500, true),
  },
  {
    name: 'causalConv1d [2,7,3] K=4, bias, initialState, seqIdx, silu',
    forward: ['CausalConv1d'],
    backward: ['CausalConv1dGrad'],
    inputs: [
      { name: 'x', shape: [B, 7, 3] },
      { name: 'weight', shape: [3, 4] },
      { name: 'bias', shape: [3] },
      { name: 'initialState', shape: [B, 3, 3] },
    ],
    f: ([x, w, b, s]) =>
      causalConv1d(x!, w!, {
        bias: b!,
        initialState: s!,
        seqIdx: ints([0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 4], [B, 7]),
        activation: 'silu',
      }),
  },
  {
    name: 'causalConv1d [1,5,2] K=3, no bias, no activation',
    forward: ['CausalConv1d'],
    backward: ['CausalConv1dGrad'],
    inputs: [
      { name: 'x', shape: [1, 5, 2] },
      { name: 'weight', shape: [2, 3] },
    ],
    f: ([x, w]) => causalConv1d(x!, w!),
  },
  {
    name: 'causalConv1dUpdate [2,3] K=4, silu',
    forward: ['CausalConv1dUpdate'],
    backward: [],
    inputs: [
      { name: 'convState', shape: [B, 3, 4] },
      { name: 'x', shape: [B, 3] },
      { name: 'weight', shape: [3, 4] },
      { name: 'bias', shape: [3] },
    ],
    f: ([s, x, w, b]) => causalConv1dUpdate(s!, x!, w!, { bias: b!, activation: 'silu' }),
  },
  {
    name: 'ssmScan B2 T7 H4 P3 G2 N5, D, initialState, seqIdx, chunk 3',
    forward: ['SsmScan'],
    backward: ['SsmScanGrad'],
    inputs: [
      { name: 'x', shape: [B, 7, 4, 3] },
      { name: 'dt', shape: [B, 7, 4], min: 0.05, max: 0.6 },
      { name: 'A', shape: [4], min: -1.5, max: -0.3 },
      { name: 'Bm', shape: [B, 7, 2, 5] },
      { name: 'Cm', shape: [B, 7, 2, 5] },
      { name: 'D', shape: [4] },
      { name: 'initialState', shape: [B, 4, 3, 5] },
    ],
    f: ([x, dt, A, Bm, Cm, D, s]) =>
      ssmScan(
        {
          x: x!,
          dt: dt!,
          A: A!,
          Bm: Bm!,
          Cm: Cm!,
          D: D!,
          initialState: s!,
          seqIdx: ints([0, 0, 0, 1, 1, 1, 1, 3, 3, 4, 4, 4, 4, 5], [B, 7]),
        },
        { chunkSize: 3 },
      ),
  },
  {
    name: 'ssmScan B1 T5 H2 P2 G1 N3, no extras, chunk 8',
    forward: ['SsmScan'],
    backward: ['SsmScanGrad'],
    inputs: [
      { name: 'x', shape: [1, 5, 2, 2] },
      { name: 'dt', shape: [1, 5, 2], min: 0.05, max: 0.6 },
      { name: 'A', shape: [2], min: -1.5, max: -0.3 },
      { name: 'Bm', shape: [1, 5, 1, 3] },
      { name: 'Cm', shape: [1, 5, 1, 3] },
    ],
    f: ([x, dt, A, Bm, Cm]) => ssmScan({ x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Cm! }, { chunkSize: 8 }),
  },
  {
    name: 'ssmScan, loss on y only (no dFinalState)',
    forward: ['SsmScan'],
    backward: ['SsmScanGrad'],
    inputs: [
      { name: 'x', shape: [1, 6, 2, 2] },
      { name: 'dt', shape: [1, 6, 2], min: 0.05, max: 0.6 },
      { name: 'A', shape: [2], min: -1.5, max: -0.3 },
      { name: 'Bm', shape: [1, 6, 2, 3] },
      { name: 'Cm', shape: [1, 6, 2, 3] },
      { name: 'initialState', shape: [1, 2, 2, 3] },
    ],
    f: ([x, dt, A, Bm, Cm, s]) =>
      ssmScan({ x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Cm!, initialState: s! }, { chunkSize: 4 }).y,
  },
  {
    name: 'ssmScan, loss on finalState only (dy = 0)',
    forward: ['SsmScan'],
    backward: ['SsmScanGrad'],
    inputs: [
      { name: 'x', shape: [1, 6, 2, 2] },
      { name: 'dt', shape: [1, 6, 2], min: 0.05, max: 0.6 },
      { name: 'A', shape: [2], min: -1.5, max: -0.3 },
      { name: 'Bm', shape: [1, 6, 1, 3] },
      { name: 'D', shape: [2] },
      { name: 'initialState', shape: [1, 2, 2, 3] },
    ],
    // Cm and D do not reach the final state: their gradients must be exactly zero.
    f: ([x, dt, A, Bm, D, s]) =>
      ssmScan(
        { x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Bm!, D: D!, initialState: s!, seqIdx: ints([0, 0, 1, 1, 1, 1], [1, 6]) },
        { chunkSize: 4 },
      ).finalState,
  },
  {
    name: 'causalConv1dUpdate, loss on the new state only',
    forward: ['CausalConv1dUpdate'],
    backward: [],
    inputs: [
      { name: 'convState', shape: [1, 2, 3] },
      { name: 'x', shape: [1, 2] },
      { name: 'weight', shape: [2, 3] },
    ],
    f: ([s, x, w]) => causalConv1dUpdate(s!, x!, w!).convState,
  },
  {
    name: 'ssmStep B2 H4 P3 G2 N5, D',
    forward: ['SsmStep'],
    backward: [],
    inputs: [
      { name: 'state', shape: [B, 4, 3, 5] },
      { name: 'x', shape: [B, 4, 3] },
      { name: 'dt', shape: [B, 4], min: 0.05, max: 0.6 },
      { name: 'A', shape: [4], min: -1.5, max: -0.3 },
      { name: 'Bm', shape: [B, 2, 5] },
      { name: 'Cm', shape: [B, 2, 5] },
      { name: 'D', shape: [4] },
    ],
    f: ([state, x, dt, A, Bm, Cm, D]) => ssmStep({ state: state!, x: x!, dt: dt!, A: A!, Bm: Bm!, Cm: Cm!, D: D! }),
  },
  {
    // Decode only, but differentiable: its gradient is the composition's vjp (there is no backward kernel).
    name: 'ssmDecodeStep B2 H4 P3 G2 N5 K3, convBias, D, silu gate',
    forward: ['SsmDecodeStep'],
    backward: [],
    inputs: [
      { name: 'zxbcdt', shape: [B, 12 + 32 + 4] },
      { name: 'convState', shape: [B, 32, 3] },
      { name: 'convWeight', shape: [32, 3], min: -0.7, max: 0.7 },
      { name: 'convBias', shape: [32], min: -0.3, max: 0.3 },
      { name: 'ssmState', shape: [B, 4, 3, 5] },
      { name: 'dtBias', shape: [4], min: -1.5, max: -0.5 },
      { name: 'A', shape: [4], min: -1.5, max: -0.3 },
      { name: 'D', shape: [4] },
    ],
    f: ([zxbcdt, convState, convWeight, convBias, ssmState, dtBias, A, D]) =>
      ssmDecodeStep({
        zxbcdt: zxbcdt!,
        convState: convState!,
        convWeight: convWeight!,
        convBias: convBias!,
        ssmState: ssmState!,
        dtBias: dtBias!,
        A: A!,
        D: D!,
      }),
  },
  {
    name: 'attention GQA causal q[2,5,4,3] kv[2,6,2,·] Dv=4, seqIdx',
    forward: ['Attention'],
    backward: ['AttentionGrad'],
    inputs: [
      { name: 'q', shape: [B, 5, 4, 3] },
      { name: 'k', shape: [B, 6, 2, 3] },
      { name: 'v', shape: [B, 6, 2, 4] },
    ],
    // Query i sits at key position i + 1; every query sees at least itself.
    f: ([q, k, v]) =>
      attention(q!, k!, v!, {
        qSeqIdx: ints([0, 0, 1, 1, 1, 2, 2, 2, 2, 2], [B, 5]),
        kSeqIdx: ints([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2], [B, 6]),
      }),
  },
  {
    name: 'attention non-causal q[1,3,2,4] kv[1,5,1,·] Dv=3, custom scale',
    forward: ['Attention'],
    backward: ['AttentionGrad'],
    inputs: [
      { name: 'q', shape: [1, 3, 2, 4] },
      { name: 'k', shape: [1, 5, 1, 4] },
      { name: 'v', shape: [1, 5, 1, 3] },
    ],
    f: ([q, k, v]) => attention(q!, k!, v!, { causal: false, scale: 0.7 }),
  },
  {
    name: 'attention with a query that sees no key (zeros)',
    forward: ['Attention'],
    backward: ['AttentionGrad'],
    inputs: [
      { name: 'q', shape: [1, 3, 2, 2] },
      { name: 'k', shape: [1, 3, 2, 2] },
      { name: 'v', shape: [1, 3, 2, 2] },
    ],
    f: ([q, k, v]) =>
      attention(q!, k!, v!, { causal: false, qSeqIdx: ints([0, 5, 1], [1, 3]), kSeqIdx: ints([0, 1, 1], [1, 3]) }),
  },
  {
    name: 'crossEntropy [6,7] with ignored rows',
    forward: ['CrossEntropy'],
    backward: ['CrossEntropyGrad'],
    inputs: [{ name: 'logits', shape: [6, 7], min: -3, max: 3 }],
    f: ([l]) => crossEntropy(l!, ints([3, -100, 0, 6, -100, 2], [6])),
  },
  {
    name: 'crossEntropy [3,4] ignoreIndex 1',
    forward: ['CrossEntropy'],
    backward: ['CrossEntropyGrad'],
    inputs: [{ name: 'logits', shape: [3, 4], min: -3, max: 3 }],
    f: ([l]) => crossEntropy(l!, ints([1, 3, 0], [3]), 1),
  },
  {
    name: 'swiGlu [3,1,5] gateMultiplier 0.883883',
    forward: ['SwiGlu'],
    backward: ['SwiGluGrad'],
    inputs: [
      { name: 'gate', shape: [3, 1, 5], min: -4, max: 4 },
      { name: 'up', shape: [3, 1, 5], min: -2, max: 2 },
    ],
    f: ([g, u]) => swiGlu(g!, u!, 0.883883),
  },
  {
    // Decode only, but differentiable: its gradient is the composition's vjp (two Slices, then SwiGlu's gradient).
    name: 'swiGluPacked [3,1,10] (I = 5) gateMultiplier 0.883883',
    forward: ['SwiGluPacked'],
    backward: [],
    inputs: [{ name: 'gateUp', shape: [3, 1, 10], min: -4, max: 4 }],
    f: ([gu]) => swiGluPacked(gu!, 0.883883),
  },
  {
    // Decode only, but differentiable: its gradient is the composition's vjp (SwiGluPacked's, then MatMul's).
    name: 'swiGluPackedMatMul [3,1,10] (I = 5) · [4,5]ᵀ gateMultiplier 0.883883',
    forward: ['SwiGluPackedMatMul'],
    backward: [],
    inputs: [
      { name: 'gateUp', shape: [3, 1, 10], min: -4, max: 4 },
      { name: 'weight', shape: [4, 5] },
    ],
    f: ([gu, w]) => swiGluPackedMatMul(gu!, w!, 0.883883),
  },
  {
    name: 'linearCrossEntropy R5 D3 V7 chunk 3, ignored rows, scale 0.7',
    forward: ['LinearCrossEntropy'],
    backward: ['LinearCrossEntropyGrad'],
    inputs: [
      { name: 'hidden', shape: [5, 3], min: -2, max: 2 },
      { name: 'weight', shape: [7, 3] },
    ],
    f: ([h, w]) => linearCrossEntropy(h!, w!, ints([6, -100, 0, 3, -100], [5]), { scale: 0.7, chunkSize: 3 }),
  },
  {
    name: 'linearCrossEntropy R3 D4 V5 ignoreIndex 2',
    forward: ['LinearCrossEntropy'],
    backward: ['LinearCrossEntropyGrad'],
    inputs: [
      { name: 'hidden', shape: [3, 4] },
      { name: 'weight', shape: [5, 4], min: -2, max: 2 },
    ],
    f: ([h, w]) => linearCrossEntropy(h!, w!, ints([2, 4, 0], [3]), { ignoreIndex: 2 }),
  },
];

describe.each([
  ['native', 'none'],
  ['composition', 'all'],
] as const)('fused op gradients vs finite differences: %s path', (path, policy) => {
  beforeAll(() => setFallbackPolicy(policy));
  afterAll(() => setFallbackPolicy('none'));

  it.each(FUSED_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    resetDispatchCounts();
    gradcheck(`${c.name} (${path})`, c.inputs, c.f, 11);
    const counts = dispatchCounts();
    for (const kernel of c.forward) {
      const entry = counts[kernel] ?? { native: 0, fallback: 0 };
      if (path === 'native') {
        expect(entry.native, `${kernel} ran natively`).toBeGreaterThan(0);
        expect(entry.fallback, `${kernel} never fell back`).toBe(0);
      } else {
        expect(entry.fallback, `${kernel} ran its composition`).toBeGreaterThan(0);
        expect(entry.native, `${kernel} never ran natively`).toBe(0);
      }
    }
    for (const kernel of c.backward) {
      const entry = counts[kernel] ?? { native: 0, fallback: 0 };
      if (path === 'native') expect(entry.native, `backward kernel ${kernel} ran natively`).toBeGreaterThan(0);
      else expect(entry.native, `backward kernel ${kernel} never ran natively`).toBe(0);
    }
  });

  it('a small block: rmsNorm → attention (rope) → ssmScan → crossEntropy', () => {
    gradcheck(
      `mixed block (${path})`,
      [
        { name: 'h', shape: [1, 4, 8] },
        { name: 'norm', shape: [8], min: 0.5, max: 1.5 },
        { name: 'wqkv', shape: [12, 8], min: -0.6, max: 0.6 },
        { name: 'A', shape: [2], min: -1.2, max: -0.4 },
        { name: 'wout', shape: [5, 4], min: -1, max: 1 },
      ],
      ([h, norm, wqkv, A, wout]) => {
        const x = rmsNorm(h!, norm!, 1e-5); // [1, 4, 8]
        const qkv = linear(x, wqkv!); // [1, 4, 12]
        const [q, k, v] = split(qkv, [4, 4, 4], -1);
        const pos = ints([0, 1, 2, 3], [1, 4]);
        const q4 = rope(reshape(q!, [1, 4, 2, 2]), pos, 100);
        const k4 = rope(reshape(k!, [1, 4, 2, 2]), pos, 100);
        const att = attention(q4, k4, reshape(v!, [1, 4, 2, 2])); // [1, 4, 2, 2]
        const dt = softplus(sum(att, -1)); // [1, 4, 2]
        const Bm = reshape(slice(qkv, [0, 0, 0], [1, 4, 3]), [1, 4, 1, 3]);
        const Cm = reshape(slice(qkv, [0, 0, 5], [1, 4, 3]), [1, 4, 1, 3]);
        const { y } = ssmScan({ x: att, dt, A: A!, Bm, Cm }, { chunkSize: 2 });
        const logits = linear(reshape(y, [4, 4]), wout!); // [4, 5]
        return mean(crossEntropy(logits, ints([0, 3, -100, 4], [4])));
      },
      5,
    );
  });
});

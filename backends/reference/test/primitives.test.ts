/** Primitive kernels against small hand-computed examples (the oracle is checked against facts, not itself). */
import type { DType } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../src/index.js';
import { expectClose, seededRandom, take, tensor, uniform } from './helpers.js';

const backend = createReferenceBackend();
const k = backend.kernels;
const none = {} as Record<string, never>;

describe('unary', () => {
  it('computes each function', () => {
    const x = tensor(backend, [-2, 0, 0.5], [3]);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    expect(take(backend, k.Neg({ x }, none))).toEqual([2, -0, -0.5]);
    expect(take(backend, k.Abs({ x }, none))).toEqual([2, 0, 0.5]);
    expect(take(backend, k.Exp({ x }, none))).toEqual([Math.exp(-2), 1, Math.exp(0.5)]);
    expect(take(backend, k.Sigmoid({ x }, none))).toEqual([s(-2), 0.5, s(0.5)]);
    expect(take(backend, k.Silu({ x }, none))).toEqual([-2 * s(-2), 0, 0.5 * s(0.5)]);
    expect(take(backend, k.Tanh({ x }, none))).toEqual([Math.tanh(-2), 0, Math.tanh(0.5)]);
    const p = tensor(backend, [4, 0.25], [2]);
    expect(take(backend, k.Log({ x: p }, none))).toEqual([Math.log(4), Math.log(0.25)]);
    expect(take(backend, k.Sqrt({ x: p }, none))).toEqual([2, 0.5]);
    expect(take(backend, k.Rsqrt({ x: p }, none))).toEqual([0.5, 2]);
    expect(take(backend, k.Reciprocal({ x: p }, none))).toEqual([0.25, 4]);
  });

  it('Softplus is stable at both ends', () => {
    const x = tensor(backend, [-800, -30, 0, 30, 800], [5]);
    const y = take(backend, k.Softplus({ x }, none));
    expect(y[0]).toBe(0); // e^−800 underflows even in f64
    expect(y[1]).toBeCloseTo(Math.exp(-30), 25); // log1p(e^−30) ≈ e^−30, not 0
    expect(y[1]).toBeGreaterThan(0);
    expect(y[2]).toBe(Math.LN2);
    expect(y[3]).toBe(30 + Math.log1p(Math.exp(-30)));
    expect(y[4]).toBe(800); // no overflow to Infinity
  });

  it('Neg and Abs accept i32 and wrap like int32', () => {
    const x = tensor(backend, [-5, 7, -2147483648], [3], 'i32');
    const n = k.Neg({ x }, none);
    expect(n.dtype).toBe('i32');
    expect(take(backend, n)).toEqual([5, -7, -2147483648]);
    expect(take(backend, k.Abs({ x }, none))).toEqual([5, 7, -2147483648]);
    expect(() => k.Exp({ x }, none)).toThrow(/float/);
  });

  it('rounds once to the dtype', () => {
    const x = tensor(backend, [1], [1], 'bf16');
    // e = 2.71828… → bf16 keeps 8 significant bits: round(1.35914·128)/128·2 = 174/64 = 2.71875
    expect(take(backend, k.Exp({ x }, none))).toEqual([174 / 64]);
    const y = tensor(backend, [1], [1], 'f32');
    expect(take(backend, k.Exp({ x: y }, none))).toEqual([Math.fround(Math.E)]);
  });
});

describe('binary and compare', () => {
  it('Add broadcasts [2,1] with [3] to [2,3]', () => {
    const a = tensor(backend, [10, 20], [2, 1]);
    const b = tensor(backend, [1, 2, 3], [3]);
    const y = k.Add({ a, b }, none);
    expect(y.shape).toEqual([2, 3]);
    expect(take(backend, y)).toEqual([11, 12, 13, 21, 22, 23]);
  });

  it('broadcasts a scalar and middle axes ([2,1,3] with [1,2,1] → [2,2,3])', () => {
    const a = tensor(backend, [1, 2, 3, 4, 5, 6], [2, 1, 3]);
    const b = tensor(backend, [100, 200], [1, 2, 1]);
    const y = k.Sub({ a, b }, none);
    expect(y.shape).toEqual([2, 2, 3]);
    expect(take(backend, y)).toEqual([-99, -98, -97, -199, -198, -197, -96, -95, -94, -196, -195, -194]);
    const s = tensor(backend, [2], []);
    const z = k.Mul({ a: s, b: a }, none);
    expect(z.shape).toEqual([2, 1, 3]);
    expect(take(backend, z)).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it('Div truncates toward zero for i32; Mul wraps', () => {
    const a = tensor(backend, [7, -7, 7, -7, 1], [5], 'i32');
    const b = tensor(backend, [2, 2, -2, -2, 3], [5], 'i32');
    expect(take(backend, k.Div({ a, b }, none))).toEqual([3, -3, -3, 3, 0]);
    // Not in the contract: i32 division by zero gives 0 here.
    const zero = tensor(backend, [0], [1], 'i32');
    expect(take(backend, k.Div({ a, b: zero }, none))).toEqual([0, 0, 0, 0, 0]);
    const big = tensor(backend, [65536, 2147483647], [2], 'i32');
    expect(take(backend, k.Mul({ a: big, b: big }, none))).toEqual([0, 1]);
    expect(take(backend, k.Add({ a: big, b: big }, none))).toEqual([131072, -2]);
    const fa = tensor(backend, [7, -7], [2]);
    const fb = tensor(backend, [2, 2], [2]);
    expect(take(backend, k.Div({ a: fa, b: fb }, none))).toEqual([3.5, -3.5]);
  });

  it('Maximum and Minimum propagate NaN', () => {
    const a = tensor(backend, [1, Number.NaN, 3], [3]);
    const b = tensor(backend, [2, 0, Number.NaN], [3]);
    expect(take(backend, k.Maximum({ a, b }, none))).toEqual([2, Number.NaN, Number.NaN]);
    expect(take(backend, k.Minimum({ a, b }, none))).toEqual([1, Number.NaN, Number.NaN]);
  });

  it('compares into u8, NaN comparing false', () => {
    const a = tensor(backend, [1, 2, 3, Number.NaN], [4]);
    const b = tensor(backend, [2], [1]);
    const eq = k.Equal({ a, b }, none);
    expect(eq.dtype).toBe('u8');
    expect(take(backend, eq)).toEqual([0, 1, 0, 0]);
    expect(take(backend, k.NotEqual({ a, b }, none))).toEqual([1, 0, 1, 1]);
    expect(take(backend, k.Less({ a, b }, none))).toEqual([1, 0, 0, 0]);
    expect(take(backend, k.LessEqual({ a, b }, none))).toEqual([1, 1, 0, 0]);
    expect(take(backend, k.Greater({ a, b }, none))).toEqual([0, 0, 1, 0]);
    expect(take(backend, k.GreaterEqual({ a, b }, none))).toEqual([0, 1, 1, 0]);
    const ia = tensor(backend, [1, 5], [2], 'i32');
    const ib = tensor(backend, [5, 5], [2], 'i32');
    expect(take(backend, k.Equal({ a: ia, b: ib }, none))).toEqual([0, 1]);
  });

  it('rejects mixed dtypes', () => {
    const a = tensor(backend, [1], [1], 'f32');
    const b = tensor(backend, [1], [1], 'f64');
    expect(() => k.Add({ a, b }, none)).toThrow(/one dtype/);
  });
});

describe('Scale, Clamp, Where, Fill', () => {
  it('Scale computes x·scale + shift (1 − x)', () => {
    const x = tensor(backend, [0, 0.25, 2], [3]);
    expect(take(backend, k.Scale({ x }, { scale: -1, shift: 1 }))).toEqual([1, 0.75, -1]);
  });

  it('Clamp bounds, allows infinite bounds, keeps NaN', () => {
    const x = tensor(backend, [-5, 0.5, 5, Number.NaN], [4]);
    expect(take(backend, k.Clamp({ x }, { min: 0, max: 1 }))).toEqual([0, 0.5, 1, Number.NaN]);
    expect(take(backend, k.Clamp({ x }, { min: 0, max: Number.POSITIVE_INFINITY }))).toEqual([0, 0.5, 5, Number.NaN]);
  });

  it('Where broadcasts all three inputs', () => {
    const condition = tensor(backend, [1, 0, 7], [3], 'u8');
    const a = tensor(backend, [1, 2], [2, 1]);
    const b = tensor(backend, [-1], []);
    const y = k.Where({ condition, a, b }, none);
    expect(y.shape).toEqual([2, 3]);
    expect(take(backend, y)).toEqual([1, -1, 1, 2, -1, 2]);
    const i64 = tensor(backend, [5, 6, 7], [3], 'i64');
    expect(take(backend, k.Where({ condition, a: i64, b: i64 }, none))).toEqual([5, 6, 7]);
  });

  it('Fill rounds the value to the dtype', () => {
    expect(take(backend, k.Fill({}, { shape: [2], dtype: 'bf16', value: 1 + 2 ** -8 }))).toEqual([1, 1]);
    expect(take(backend, k.Fill({}, { shape: [1], dtype: 'f32', value: 0.1 }))).toEqual([Math.fround(0.1)]);
    expect(take(backend, k.Fill({}, { shape: [2, 1], dtype: 'i32', value: -2.5 }))).toEqual([-2, -2]);
    const scalar = k.Fill({}, { shape: [], dtype: 'f64', value: 3 });
    expect(scalar.shape).toEqual([]);
    expect(take(backend, scalar)).toEqual([3]);
  });
});

describe('reductions and scans', () => {
  // x[i,j,k] = 100i + 10j + k, shape [2, 2, 3]
  const x = tensor(backend, [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112], [2, 2, 3]);

  it('Sum over axes [0, 2], with and without keepDims', () => {
    const kept = k.Sum({ x }, { axes: [0, 2], keepDims: true });
    expect(kept.shape).toEqual([1, 2, 1]);
    // j=0: (0+1+2) + (100+101+102) = 306; j=1: (10+11+12) + (110+111+112) = 366
    expect(take(backend, kept)).toEqual([306, 366]);
    const dropped = k.Sum({ x }, { axes: [0, 2], keepDims: false });
    expect(dropped.shape).toEqual([2]);
    expect(take(backend, dropped)).toEqual([306, 366]);
    const all = k.Sum({ x }, { axes: [0, 1, 2], keepDims: false });
    expect(all.shape).toEqual([]);
    expect(take(backend, all)).toEqual([672]);
    const noAxes = k.Sum({ x }, { axes: [], keepDims: false });
    expect(take(backend, noAxes)).toHaveLength(12);
    const empty = tensor(backend, [], [2, 0]);
    expect(take(backend, k.Sum({ x: empty }, { axes: [1], keepDims: false }))).toEqual([0, 0]);
  });

  it('Mean and Max, Max propagating NaN', () => {
    expect(take(backend, k.Mean({ x }, { axes: [2], keepDims: false }))).toEqual([1, 11, 101, 111]);
    expect(take(backend, k.Max({ x }, { axes: [1], keepDims: false }))).toEqual([10, 11, 12, 110, 111, 112]);
    const nan = tensor(backend, [1, Number.NaN, 3, 4], [2, 2]);
    expect(take(backend, k.Max({ x: nan }, { axes: [1], keepDims: false }))).toEqual([Number.NaN, 4]);
  });

  it('ArgMax returns the first maximum as i32', () => {
    const y = tensor(backend, [1, 5, 5, 2, 9, 0, 9, 9], [2, 4]);
    const rows = k.ArgMax({ x: y }, { axis: 1 });
    expect(rows.dtype).toBe('i32');
    expect(rows.shape).toEqual([2]);
    expect(take(backend, rows)).toEqual([1, 0]);
    expect(take(backend, k.ArgMax({ x: y }, { axis: 0 }))).toEqual([1, 0, 1, 1]);
    // Not in the contract: a NaN counts as the maximum (PyTorch's argmax), the first NaN winning.
    const nan = tensor(backend, [1, Number.NaN, 5, Number.NaN], [4]);
    expect(take(backend, k.ArgMax({ x: nan }, { axis: 0 }))).toEqual([1]);
  });

  it('CumSum: inclusive, exclusive, reverse, both', () => {
    const v = tensor(backend, [1, 2, 3, 4], [4]);
    const run = (exclusive: boolean, reverse: boolean) =>
      take(backend, k.CumSum({ x: v }, { axis: 0, exclusive, reverse }));
    expect(run(false, false)).toEqual([1, 3, 6, 10]);
    expect(run(true, false)).toEqual([0, 1, 3, 6]);
    expect(run(false, true)).toEqual([10, 9, 7, 4]);
    expect(run(true, true)).toEqual([9, 7, 4, 0]);
  });

  it('CumSum along a middle axis', () => {
    const m = tensor(backend, [1, 2, 3, 4, 5, 6], [3, 2]);
    expect(take(backend, k.CumSum({ x: m }, { axis: 0, exclusive: false, reverse: false }))).toEqual([
      1, 2, 4, 6, 9, 12,
    ]);
    expect(take(backend, k.CumSum({ x: m }, { axis: 1, exclusive: true, reverse: true }))).toEqual([2, 0, 4, 0, 6, 0]);
  });
});

describe('MatMul', () => {
  const a = tensor(backend, [1, 2, 3, 4], [2, 2]);
  const b = tensor(backend, [5, 6, 7, 8], [2, 2]);
  const mm = (transposeA: boolean, transposeB: boolean) =>
    take(backend, k.MatMul({ a, b }, { transposeA, transposeB }));

  it('multiplies with every transpose combination', () => {
    expect(mm(false, false)).toEqual([19, 22, 43, 50]);
    expect(mm(true, false)).toEqual([26, 30, 38, 44]); // aᵀ = [[1,3],[2,4]]
    expect(mm(false, true)).toEqual([17, 23, 39, 53]); // bᵀ = [[5,7],[6,8]]
    expect(mm(true, true)).toEqual([23, 31, 34, 46]); // aᵀbᵀ = (ba)ᵀ
  });

  it('handles non-square transposed operands', () => {
    // a [3, 2] with transposeA: aᵀ [2, 3] = [[1,3,5],[2,4,6]]; b [2, 3] with transposeB: bᵀ [3, 2]
    const at = tensor(backend, [1, 2, 3, 4, 5, 6], [3, 2]);
    const bt = tensor(backend, [1, 0, 1, 0, 1, 1], [2, 3]); // bᵀ = [[1,0],[0,1],[1,1]]
    const y = k.MatMul({ a: at, b: bt }, { transposeA: true, transposeB: true });
    expect(y.shape).toEqual([2, 2]);
    // [[1+5, 3+5], [2+6, 4+6]]
    expect(take(backend, y)).toEqual([6, 8, 8, 10]);
  });

  it('broadcasts batch dims ([2,1,2,2] × [3,2,2] → [2,3,2,2])', () => {
    const left = tensor(backend, [1, 0, 0, 1, 2, 0, 0, 2], [2, 1, 2, 2]); // I, 2I
    const right = tensor(backend, [1, 2, 3, 4, 0, 1, 1, 0, 5, 5, 5, 5], [3, 2, 2]);
    const y = k.MatMul({ a: left, b: right }, { transposeA: false, transposeB: false });
    expect(y.shape).toEqual([2, 3, 2, 2]);
    expect(take(backend, y)).toEqual([1, 2, 3, 4, 0, 1, 1, 0, 5, 5, 5, 5, 2, 4, 6, 8, 0, 2, 2, 0, 10, 10, 10, 10]);
  });

  it('accumulates in f64 and rounds once to bf16', () => {
    // 256 + 1 + 1 in bf16 (8 significant bits): step by step 256+1 → 256, 256+1 → 256; exact sum 258 is representable.
    const x = tensor(backend, [256, 1, 1], [1, 3], 'bf16');
    const ones = tensor(backend, [1, 1, 1], [3, 1], 'bf16');
    expect(take(backend, k.MatMul({ a: x, b: ones }, { transposeA: false, transposeB: false }))).toEqual([258]);
  });
});

describe('Cast', () => {
  const cast = (vals: number[], from: DType, to: DType) =>
    take(backend, k.Cast({ x: tensor(backend, vals, [vals.length], from) }, { dtype: to }));

  it('rounds float → float to nearest even', () => {
    // bf16 ulp at 1 is 2^−7: 1+2^−8 ties to 1 (even), 1+3·2^−8 ties to 1+2^−6 (even mantissa 2).
    expect(cast([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20], 'f64', 'bf16')).toEqual([
      1,
      1 + 2 ** -6,
      1 + 2 ** -7,
    ]);
    // f16 ulp at 1 is 2^−10; 65520 is the tie between 65504 and 2^16: rounds to even → overflow to +Inf.
    expect(cast([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 2 ** -25], 'f64', 'f16')).toEqual([
      1,
      1 + 2 ** -9,
      Number.POSITIVE_INFINITY,
      0,
    ]);
    expect(cast([0.1], 'f64', 'f32')).toEqual([Math.fround(0.1)]);
    expect(cast([0.1], 'bf16', 'f64')).toEqual([205 / 128 / 16]);
  });

  it('truncates float → int toward zero; u8 wraps modulo 256', () => {
    expect(cast([2.7, -2.7, -0.5, 1e10], 'f64', 'i32')).toEqual([2, -2, 0, 1410065408]);
    expect(cast([300, -1, 255.9], 'f32', 'u8')).toEqual([44, 255, 255]);
    expect(cast([-3.9, 2 ** 40], 'f64', 'i64')).toEqual([-3, 2 ** 40]);
  });

  it('converts int → float exactly where representable', () => {
    expect(cast([16777217, -3], 'i32', 'f32')).toEqual([16777216, -3]);
    expect(cast([16777217], 'i32', 'f64')).toEqual([16777217]);
    expect(cast([255, 0], 'u8', 'bf16')).toEqual([255, 0]); // 8 significant bits: exact in bf16
    expect(cast([257, 259], 'i32', 'bf16')).toEqual([256, 260]); // 9 bits: ties to the even mantissa
    expect(cast([-1, 300], 'i32', 'u8')).toEqual([255, 44]);
  });

  it('converts i64 by its low bits', () => {
    const x = {
      dataId: backend.write(new BigInt64Array([2n ** 32n + 5n, -1n]), [2], 'i64'),
      shape: [2],
      dtype: 'i64',
    } as const;
    expect(take(backend, k.Cast({ x }, { dtype: 'i32' }))).toEqual([5, -1]);
    expect(take(backend, k.Cast({ x }, { dtype: 'u8' }))).toEqual([5, 255]);
    expect(take(backend, k.Cast({ x }, { dtype: 'f64' }))).toEqual([2 ** 32 + 5, -1]);
  });
});

describe('data movement', () => {
  const x = tensor(backend, [0, 1, 2, 3, 4, 5], [2, 3]);

  it('Copy makes an independent buffer', () => {
    const y = k.Copy({ x }, none);
    expect(y.dataId).not.toBe(x.dataId);
    expect(take(backend, y)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('Transpose [2,3] and a 3-D permutation', () => {
    const y = k.Transpose({ x }, { perm: [1, 0] });
    expect(y.shape).toEqual([3, 2]);
    expect(take(backend, y)).toEqual([0, 3, 1, 4, 2, 5]);
    // z[i,j,l] = 100i + 10j + l, shape [2,3,2]; perm [2,0,1] → out[l,i,j] = z[i,j,l], shape [2,2,3]
    const z = tensor(backend, [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121], [2, 3, 2]);
    const w = k.Transpose({ x: z }, { perm: [2, 0, 1] });
    expect(w.shape).toEqual([2, 2, 3]);
    expect(take(backend, w)).toEqual([0, 10, 20, 100, 110, 120, 1, 11, 21, 101, 111, 121]);
  });

  it('Slice, including an empty slice', () => {
    const y = k.Slice({ x }, { begin: [1, 1], size: [1, 2] });
    expect(y.shape).toEqual([1, 2]);
    expect(take(backend, y)).toEqual([4, 5]);
    expect(take(backend, k.Slice({ x }, { begin: [0, 2], size: [2, 0] }))).toEqual([]);
  });

  it('Concat along either axis', () => {
    const b = tensor(backend, [6, 7], [2, 1]);
    const y = k.Concat({ xs: [x, b] }, { axis: 1 });
    expect(y.shape).toEqual([2, 4]);
    expect(take(backend, y)).toEqual([0, 1, 2, 6, 3, 4, 5, 7]);
    const c = tensor(backend, [9, 9, 9], [1, 3]);
    const z = k.Concat({ xs: [c, x] }, { axis: 0 });
    expect(z.shape).toEqual([3, 3]);
    expect(take(backend, z)).toEqual([9, 9, 9, 0, 1, 2, 3, 4, 5]);
  });

  it('moves i64 and keeps dtypes', () => {
    const big = {
      dataId: backend.write(new BigInt64Array([1n, 2n, 3n, 4n]), [2, 2], 'i64'),
      shape: [2, 2],
      dtype: 'i64',
    } as const;
    const t = k.Transpose({ x: big }, { perm: [1, 0] });
    expect(t.dtype).toBe('i64');
    expect(Array.from(backend.readSync(t) as BigInt64Array)).toEqual([1n, 3n, 2n, 4n]);
  });
});

describe('Gather and ScatterAdd', () => {
  it('Gather looks rows up, any index shape', () => {
    const table = tensor(backend, [0, 1, 10, 11, 20, 21], [3, 2]);
    const indices = tensor(backend, [2, 0, 2, 1], [2, 2], 'i32');
    const y = k.Gather({ table, indices }, none);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(take(backend, y)).toEqual([20, 21, 0, 1, 20, 21, 10, 11]);
  });

  it('Gather throws naming an out-of-range index', () => {
    const table = tensor(backend, [0, 1, 2], [3]);
    expect(() => k.Gather({ table, indices: tensor(backend, [0, 3], [2], 'i32') }, none)).toThrow(
      'Gather: index 3 at position 1 is out of range [0, 3)',
    );
    expect(() => k.Gather({ table, indices: tensor(backend, [-1], [1], 'i32') }, none)).toThrow(/index -1/);
  });

  it('ScatterAdd accumulates duplicate indices', () => {
    const updates = tensor(backend, [1, 2, 3, 4, 5, 6], [3, 2]);
    const indices = tensor(backend, [1, 1, 3], [3], 'i32');
    const y = k.ScatterAdd({ updates, indices }, { numRows: 4 });
    expect(y.shape).toEqual([4, 2]);
    expect(take(backend, y)).toEqual([0, 0, 4, 6, 0, 0, 5, 6]);
  });

  it('is the adjoint of Gather: <Gather(t, i), u> = <t, ScatterAdd(u, i)>', () => {
    const random = seededRandom(7);
    const [V, D] = [5, 3];
    const ids = [4, 0, 4, 2, 4, 1, 0]; // duplicates, row 3 never used
    const tv = uniform(random, V * D);
    const uv = uniform(random, ids.length * D);
    const t = tensor(backend, tv, [V, D]);
    const i = tensor(backend, ids, [7], 'i32');
    const u = tensor(backend, uv, [7, D]);
    const gathered = take(backend, k.Gather({ table: t, indices: i }, none));
    const scattered = take(backend, k.ScatterAdd({ updates: u, indices: i }, { numRows: V }));
    const left = gathered.reduce((s, g, n) => s + g * uv[n], 0);
    const right = scattered.reduce((s, v, n) => s + v * tv[n], 0);
    expectClose([left], [right], 1e-14);
  });
});

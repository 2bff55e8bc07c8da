/**
 * addRmsNormMatMul and swiGluPackedMatMul (a decode step's norm or MLP activation fused with the bias-free
 * projection that reads it), and addRmsNormSwiGluMlp (the two as a decode step's whole MLP): their input rules (each
 * mismatch refused naming it), their values against a float64 computation written here from the formulas, and their
 * one promise beyond the conformance suite's tolerances — on the reference backend the fused kernel, and the
 * composition, give exactly the bits of the unfused sequence the model ran before (addRmsNorm → linear,
 * swiGluPacked → linear; addRmsNormMatMul → swiGluPackedMatMul), in every float dtype, for 1, 3 and 5 rows and
 * awkward widths. Their gradients are the composition's: equal to the unfused sequence's.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import {
  addRmsNorm,
  addRmsNormMatMul,
  addRmsNormSwiGluMlp,
  type DType,
  dispatchCounts,
  linear,
  resetDispatchCounts,
  setFallbackPolicy,
  swiGluPacked,
  swiGluPackedMatMul,
  type Tensor,
  tensor,
  tidy,
  useBackend,
  vjp,
  zeros,
} from '../src/index.js';
import { values } from './deterministic-values.js';

const read = async (t: Tensor): Promise<number[]> => Array.from((await t.data()) as ArrayLike<number>);

/** Relative L2 error of `got` against `want`; NaN anywhere gives Infinity (never passes). */
function relativeL2(got: readonly number[], want: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]!)) return Number.POSITIVE_INFINITY;
    num += (got[i]! - want[i]!) ** 2;
    den += want[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

/** Bounds on the relative L2 error against exact f64 arithmetic (the conformance suite's per-dtype tolerances). */
const BOUND: Record<string, number> = { f64: 1e-12, f32: 1e-5, bf16: 1e-2, f16: 5e-3 };

/** A norm-fused kernel's two outputs. */
interface SumAndY {
  sum: Tensor;
  y: Tensor;
}

/**
 * `run()` natively and then composed (the fallback policy set for `kernel`): one dispatch of each, and each gives
 * `unfused`'s dtype, `shape` / `yShape` and bits for sum and y. Returns [native, composed] (the caller disposes).
 */
async function fusedAndComposed(
  kernel: 'AddRmsNormMatMul' | 'AddRmsNormSwiGluMlp',
  run: () => SumAndY,
  unfused: SumAndY,
  dtype: DType,
  shape: number[],
  yShape: number[],
): Promise<[SumAndY, SumAndY]> {
  resetDispatchCounts();
  const fused = run();
  setFallbackPolicy([kernel]);
  const composed = run();
  expect(dispatchCounts()[kernel]).toEqual({ native: 1, fallback: 1 });
  for (const out of [fused, composed]) {
    expect([out.sum.dtype, out.y.dtype]).toEqual([dtype, dtype]);
    expect(out.sum.shape).toEqual(shape);
    expect(out.y.shape).toEqual(yShape);
    expect(await read(out.sum)).toEqual(await read(unfused.sum));
    expect(await read(out.y)).toEqual(await read(unfused.y));
  }
  return [fused, composed];
}

/** Two vjp results' gradients are the same bits; then both results, and `also`, are disposed. */
async function expectSameGradients(
  fused: ReturnType<typeof vjp>,
  unfused: ReturnType<typeof vjp>,
  also: Tensor[],
): Promise<void> {
  for (const [i, g] of fused.grads.entries()) expect(await read(g!)).toEqual(await read(unfused.grads[i]!));
  for (const result of [fused, unfused]) {
    const value = result.value as Tensor | Record<string, Tensor>;
    const outputs = 'dataId' in value ? [value as Tensor] : Object.values(value);
    for (const t of [...outputs, ...result.grads]) t?.dispose();
  }
  for (const t of also) t.dispose();
}

/** rows × n values of y = a · wᵀ in f64, a [rows, k], w [n, k]. */
function project(a: readonly number[], w: readonly number[], rows: number, k: number, n: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += a[r * k + i]! * w[j * k + i]!;
      y.push(acc);
    }
  }
  return y;
}

const silu = (v: number): number => v / (1 + Math.exp(-v));

/** sum = x + residual and normed = normWeight ⊙ sum / sqrt(mean(sum²) + eps) per row of D, in f64. */
function addRmsNormF64(
  x: readonly number[],
  residual: readonly number[],
  normWeight: readonly number[],
  D: number,
  eps: number,
): { sum: number[]; normed: number[] } {
  const sum = x.map((v, i) => v + residual[i]!);
  const normed = sum.map((_, i) => {
    const row = Math.floor(i / D);
    let ss = 0;
    for (let k = 0; k < D; k++) ss += sum[row * D + k]! ** 2;
    return (normWeight[i % D]! * sum[i]!) / Math.sqrt(ss / D + eps);
  });
  return { sum, normed };
}

describe('addRmsNormMatMul and swiGluPackedMatMul: input rules', () => {
  beforeAll(() => useBackend(createReferenceBackend()));

  it('addRmsNormMatMul refuses a projection weight that does not fit D, another dtype, the norm rules', () => {
    tidy(() => {
      const x = zeros([2, 6], 'f32');
      const nw = zeros([6], 'f32');
      expect(() => addRmsNormMatMul(x, x, nw, zeros([4, 5], 'f32'), 1e-5)).toThrow(
        /addRmsNormMatMul: weight must be a Linear weight f32\[N, 6\] \(D, the last axis of x = 6\), got f32\[4, 5\]/,
      );
      expect(() => addRmsNormMatMul(x, x, nw, zeros([4, 6], 'bf16'), 1e-5)).toThrow(/got bf16\[4, 6\]/);
      expect(() => addRmsNormMatMul(x, x, nw, zeros([6], 'f32'), 1e-5)).toThrow(/weight must be a Linear weight/);
      expect(() => addRmsNormMatMul(x, x, zeros([5], 'f32'), zeros([4, 6], 'f32'), 1e-5)).toThrow(
        /addRmsNormMatMul: normWeight must be f32\[6\] \(the last axis of x \[2, 6\]\), got f32\[5\]/,
      );
      expect(() => addRmsNormMatMul(x, zeros([2, 6], 'bf16'), nw, zeros([4, 6], 'f32'), 1e-5)).toThrow(
        /addRmsNormMatMul: residual bf16\[2, 6\] must match x f32\[2, 6\]/,
      );
      expect(() => addRmsNormMatMul(x, x, nw, zeros([4, 6], 'f32'), -1)).toThrow(/eps must be ≥ 0, got -1/);
      expect(() => addRmsNormMatMul(zeros([2, 6], 'i32'), zeros([2, 6], 'i32'), nw, zeros([4, 6], 'f32'), 0)).toThrow(
        /addRmsNormMatMul: x must be a float tensor \[\.\.\., D\], got i32\[2, 6\]/,
      );
    });
  });

  it('swiGluPackedMatMul refuses a weight whose width is not I, another dtype, an odd gateUp', () => {
    tidy(() => {
      const gateUp = zeros([2, 8], 'f32');
      expect(() => swiGluPackedMatMul(gateUp, zeros([3, 8], 'f32'))).toThrow(
        /swiGluPackedMatMul: weight must be a Linear weight f32\[N, 4\] \(I, half the last axis of gateUp = 4\), got f32\[3, 8\]/,
      );
      expect(() => swiGluPackedMatMul(gateUp, zeros([3, 4], 'f16'))).toThrow(/got f16\[3, 4\]/);
      expect(() => swiGluPackedMatMul(zeros([2, 7], 'f32'), zeros([3, 4], 'f32'))).toThrow(
        /swiGluPackedMatMul: gateUp \[2, 7\] must be \[\.\.\., 2I\]/,
      );
      expect(() => swiGluPackedMatMul(gateUp, zeros([3, 4], 'f32'), Number.NaN)).toThrow(
        /gateMultiplier must be finite, got NaN/,
      );
    });
  });
});

describe('addRmsNormMatMul: values', () => {
  beforeAll(() => useBackend(createReferenceBackend()));
  afterEach(() => setFallbackPolicy('none'));

  const D = 72;
  const N = 37;
  const eps = 1e-5;
  for (const dtype of ['f64', 'f32', 'bf16', 'f16'] as DType[]) {
    for (const rows of [1, 3, 5]) {
      it(`${dtype}, ${rows} row(s) [${rows}, 1, ${D}] · [${N}, ${D}]ᵀ: fused = composition = addRmsNorm → linear bit for bit, near f64`, async () => {
        const shape = [rows, 1, D];
        const xs = values(rows * D, 11);
        const rs = values(rows * D, 12);
        const nws = values(D, 13).map((v) => 1 + v / 4);
        const ws = values(N * D, 14).map((v) => v / 4);
        const x = tensor(xs, shape, dtype);
        const r = tensor(rs, shape, dtype);
        const nw = tensor(nws, [D], dtype);
        const w = tensor(ws, [N, D], dtype);
        const unfused = tidy(() => {
          const { sum, normed } = addRmsNorm(x, r, nw, eps);
          return { sum, y: linear(normed, w) };
        });
        const [fused, composed] = await fusedAndComposed(
          'AddRmsNormMatMul',
          () => addRmsNormMatMul(x, r, nw, w, eps),
          unfused,
          dtype,
          shape,
          [rows, 1, N],
        );
        // The formulas in f64 from the dtype's inputs (what the tensors hold), no intermediate rounding.
        const [xv, rv, nwv, wv] = await Promise.all([x, r, nw, w].map(read));
        const { sum, normed } = addRmsNormF64(xv!, rv!, nwv!, D, eps);
        expect(relativeL2(await read(fused.sum), sum)).toBeLessThanOrEqual(BOUND[dtype]!);
        expect(relativeL2(await read(fused.y), project(normed, wv!, rows, D, N))).toBeLessThanOrEqual(BOUND[dtype]!);
        for (const t of [x, r, nw, w, unfused.sum, unfused.y, fused.sum, fused.y, composed.sum, composed.y])
          t.dispose();
      });
    }
  }

  it('f32: its gradient is the unfused sequence’s, bit for bit (the composition’s vjp)', async () => {
    const x = tensor(values(3 * D, 21), [3, D], 'f32');
    const r = tensor(values(3 * D, 22), [3, D], 'f32');
    const nw = tensor(
      values(D, 23).map((v) => 1 + v / 4),
      [D],
      'f32',
    );
    const w = tensor(values(N * D, 24), [N, D], 'f32');
    const dSum = tensor(values(3 * D, 25), [3, D], 'f32');
    const dY = tensor(values(3 * N, 26), [3, N], 'f32');
    const dys = { sum: dSum, y: dY };
    const fused = vjp(() => addRmsNormMatMul(x, r, nw, w, eps), [x, r, nw, w], dys);
    const unfused = vjp(
      () => {
        const { sum, normed } = addRmsNorm(x, r, nw, eps);
        return { sum, y: linear(normed, w) };
      },
      [x, r, nw, w],
      dys,
    );
    await expectSameGradients(fused, unfused, [x, r, nw, w, dSum, dY]);
  });
});

describe('swiGluPackedMatMul: values', () => {
  beforeAll(() => useBackend(createReferenceBackend()));
  afterEach(() => setFallbackPolicy('none'));

  const I = 40;
  const N = 29;
  const gateMultiplier = 0.883883;
  for (const dtype of ['f64', 'f32', 'bf16', 'f16'] as DType[]) {
    for (const rows of [1, 3, 5]) {
      it(`${dtype}, ${rows} row(s) [${rows}, 1, 2·${I}] · [${N}, ${I}]ᵀ: fused = composition = swiGluPacked → linear bit for bit, near f64`, async () => {
        const shape = [rows, 1, 2 * I];
        const gateUp = tensor(
          values(rows * 2 * I, 31).map((v) => 2 * v),
          shape,
          dtype,
        );
        const w = tensor(
          values(N * I, 32).map((v) => v / 4),
          [N, I],
          dtype,
        );
        const unfused = tidy(() => linear(swiGluPacked(gateUp, gateMultiplier), w));
        resetDispatchCounts();
        const fused = swiGluPackedMatMul(gateUp, w, gateMultiplier);
        setFallbackPolicy(['SwiGluPackedMatMul']);
        const composed = swiGluPackedMatMul(gateUp, w, gateMultiplier);
        expect(dispatchCounts().SwiGluPackedMatMul).toEqual({ native: 1, fallback: 1 });
        for (const out of [fused, composed]) {
          expect(out.dtype).toBe(dtype);
          expect(out.shape).toEqual([rows, 1, N]);
          expect(await read(out)).toEqual(await read(unfused));
        }
        const [gu, wv] = await Promise.all([gateUp, w].map(read));
        const h: number[] = [];
        for (let r = 0; r < rows; r++) {
          for (let i = 0; i < I; i++) {
            h.push(gu![r * 2 * I + I + i]! * silu(gu![r * 2 * I + i]! * gateMultiplier));
          }
        }
        expect(relativeL2(await read(fused), project(h, wv!, rows, I, N))).toBeLessThanOrEqual(BOUND[dtype]!);
        for (const t of [gateUp, w, unfused, fused, composed]) t.dispose();
      });
    }
  }

  it('f32: its gradient is the unfused sequence’s, bit for bit (the composition’s vjp)', async () => {
    const gateUp = tensor(values(3 * 2 * I, 41), [3, 2 * I], 'f32');
    const w = tensor(values(N * I, 42), [N, I], 'f32');
    const dY = tensor(values(3 * N, 43), [3, N], 'f32');
    const fused = vjp(() => swiGluPackedMatMul(gateUp, w, gateMultiplier), [gateUp, w], dY);
    const unfused = vjp(() => linear(swiGluPacked(gateUp, gateMultiplier), w), [gateUp, w], dY);
    await expectSameGradients(fused, unfused, [gateUp, w, dY]);
  });
});

describe('addRmsNormSwiGluMlp: input rules', () => {
  beforeAll(() => useBackend(createReferenceBackend()));

  it('refuses a gate|up weight that does not fit D or is not [2I, D], a down weight not [N, I], the norm rules', () => {
    tidy(() => {
      const x = zeros([2, 6], 'f32');
      const nw = zeros([6], 'f32');
      const down = zeros([5, 4], 'f32');
      expect(() => addRmsNormSwiGluMlp(x, x, nw, zeros([8, 5], 'f32'), down, 1e-5)).toThrow(
        /addRmsNormSwiGluMlp: weight must be a Linear weight f32\[N, 6\] \(D, the last axis of x = 6\), got f32\[8, 5\]/,
      );
      expect(() => addRmsNormSwiGluMlp(x, x, nw, zeros([7, 6], 'f32'), down, 1e-5)).toThrow(
        /addRmsNormSwiGluMlp: gateUpWeight \[7, 6\] must be \[2I, D\]/,
      );
      expect(() => addRmsNormSwiGluMlp(x, x, nw, zeros([8, 6], 'f32'), zeros([5, 8], 'f32'), 1e-5)).toThrow(
        /addRmsNormSwiGluMlp: weight must be a Linear weight f32\[N, 4\] \(I, half the rows of gateUpWeight = 4\), got f32\[5, 8\]/,
      );
      expect(() => addRmsNormSwiGluMlp(x, x, nw, zeros([8, 6], 'f32'), zeros([5, 4], 'bf16'), 1e-5)).toThrow(
        /got bf16\[5, 4\]/,
      );
      expect(() => addRmsNormSwiGluMlp(x, x, zeros([5], 'f32'), zeros([8, 6], 'f32'), down, 1e-5)).toThrow(
        /addRmsNormSwiGluMlp: normWeight must be f32\[6\]/,
      );
      expect(() => addRmsNormSwiGluMlp(x, x, nw, zeros([8, 6], 'f32'), down, 1e-5, Number.POSITIVE_INFINITY)).toThrow(
        /gateMultiplier must be finite, got Infinity/,
      );
    });
  });
});

describe('addRmsNormSwiGluMlp: values', () => {
  beforeAll(() => useBackend(createReferenceBackend()));
  afterEach(() => setFallbackPolicy('none'));

  const D = 72;
  const I = 20;
  const N = 37;
  const eps = 1e-5;
  const gateMultiplier = 0.883883;
  for (const dtype of ['f64', 'f32', 'bf16', 'f16'] as DType[]) {
    for (const rows of [1, 3, 5]) {
      it(`${dtype}, ${rows} row(s) [${rows}, 1, ${D}], I = ${I}, N = ${N}: fused = composition = addRmsNormMatMul → swiGluPackedMatMul bit for bit, near f64`, async () => {
        const shape = [rows, 1, D];
        const x = tensor(values(rows * D, 51), shape, dtype);
        const r = tensor(values(rows * D, 52), shape, dtype);
        const nw = tensor(
          values(D, 53).map((v) => 1 + v / 4),
          [D],
          dtype,
        );
        const wGateUp = tensor(
          values(2 * I * D, 54).map((v) => v / 2),
          [2 * I, D],
          dtype,
        );
        const wDown = tensor(
          values(N * I, 55).map((v) => v / 4),
          [N, I],
          dtype,
        );
        const unfused = tidy(() => {
          const { sum, y } = addRmsNormMatMul(x, r, nw, wGateUp, eps);
          return { sum, y: swiGluPackedMatMul(y, wDown, gateMultiplier) };
        });
        const [fused, composed] = await fusedAndComposed(
          'AddRmsNormSwiGluMlp',
          () => addRmsNormSwiGluMlp(x, r, nw, wGateUp, wDown, eps, gateMultiplier),
          unfused,
          dtype,
          shape,
          [rows, 1, N],
        );
        // The formulas in f64 from the dtype's inputs, no intermediate rounding.
        const [xv, rv, nwv, gv, dv] = await Promise.all([x, r, nw, wGateUp, wDown].map(read));
        const { sum, normed } = addRmsNormF64(xv!, rv!, nwv!, D, eps);
        const gateUp = project(normed, gv!, rows, D, 2 * I);
        const h: number[] = [];
        for (let row = 0; row < rows; row++) {
          for (let i = 0; i < I; i++) {
            h.push(gateUp[row * 2 * I + I + i]! * silu(gateUp[row * 2 * I + i]! * gateMultiplier));
          }
        }
        expect(relativeL2(await read(fused.sum), sum)).toBeLessThanOrEqual(BOUND[dtype]!);
        expect(relativeL2(await read(fused.y), project(h, dv!, rows, I, N))).toBeLessThanOrEqual(BOUND[dtype]!);
        for (const t of [
          x,
          r,
          nw,
          wGateUp,
          wDown,
          unfused.sum,
          unfused.y,
          fused.sum,
          fused.y,
          composed.sum,
          composed.y,
        ])
          t.dispose();
      });
    }
  }

  it('f32: its gradient is the unfused sequence’s, bit for bit (the composition’s vjp)', async () => {
    const x = tensor(values(3 * D, 61), [3, D], 'f32');
    const r = tensor(values(3 * D, 62), [3, D], 'f32');
    const nw = tensor(
      values(D, 63).map((v) => 1 + v / 4),
      [D],
      'f32',
    );
    const wGateUp = tensor(values(2 * I * D, 64), [2 * I, D], 'f32');
    const wDown = tensor(values(N * I, 65), [N, I], 'f32');
    const dys = { sum: tensor(values(3 * D, 66), [3, D], 'f32'), y: tensor(values(3 * N, 67), [3, N], 'f32') };
    const inputs = [x, r, nw, wGateUp, wDown];
    const fused = vjp(() => addRmsNormSwiGluMlp(x, r, nw, wGateUp, wDown, eps, gateMultiplier), inputs, dys);
    const unfused = vjp(
      () => {
        const { sum, normed } = addRmsNorm(x, r, nw, eps);
        return { sum, y: linear(swiGluPacked(linear(normed, wGateUp), gateMultiplier), wDown) };
      },
      inputs,
      dys,
    );
    await expectSameGradients(fused, unfused, [...inputs, dys.sum, dys.y]);
  });
});

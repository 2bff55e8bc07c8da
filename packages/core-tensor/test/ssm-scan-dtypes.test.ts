/**
 * ssmScan's dtype rules: x, Bm, Cm in the activations' dtype; dt, A, D in that dtype or — for 16-bit activations —
 * f32, one dtype for the three (what a bf16/f16 model passes). y takes dt's dtype: the mixed call runs natively and
 * composed with y and finalState f32; anything else is refused naming the input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import {
  type DType,
  dispose,
  setFallbackPolicy,
  ssmScan,
  type Tensor,
  tensor,
  tidy,
  useBackend,
  vjp,
} from '../src/index.js';

const [B, T, H, P, G, N] = [2, 7, 4, 3, 2, 5];

function inputs(activations: DType, parameters: DType, d: DType = parameters, a: DType = parameters) {
  const fill = (shape: number[], dtype: DType, v: number): Tensor =>
    tensor(new Float64Array(shape.reduce((x, y) => x * y, 1)).fill(v), shape, dtype);
  return {
    x: fill([B, T, H, P], activations, 0.5),
    dt: fill([B, T, H], parameters, 0.1),
    A: fill([H], a, -1),
    Bm: fill([B, T, G, N], activations, 0.25),
    Cm: fill([B, T, G, N], activations, -0.75),
    D: fill([H], d, 1),
    initialState: fill([B, H, P, N], 'f32', 0.125),
  };
}

describe('ssmScan dtypes', () => {
  beforeAll(() => useBackend(createReferenceBackend()));
  afterAll(() => setFallbackPolicy('none'));

  for (const activations of ['bf16', 'f16'] as const) {
    it(`takes ${activations} x/Bm/Cm with f32 dt/A/D, natively and composed, with the same result`, () => {
      const results = (['none', 'all'] as const).map((policy) =>
        tidy(() => {
          setFallbackPolicy(policy);
          const { y, finalState } = ssmScan(inputs(activations, 'f32'), { chunkSize: 4 });
          expect(y.dtype).toBe('f32');
          expect(finalState.dtype).toBe('f32');
          return [
            Array.from(y.dataSync() as ArrayLike<number>),
            Array.from(finalState.dataSync() as ArrayLike<number>),
          ];
        }),
      );
      setFallbackPolicy('none');
      const [native, composed] = results as [number[][], number[][]];
      // y and finalState are f32 on both paths: the f64 recurrence and the f32 chunked SSD agree to f32 rounding.
      for (const output of [0, 1]) {
        native[output]!.forEach((v, i) => {
          expect(Math.abs(v - composed[output]![i]!)).toBeLessThan(1e-5 * (1 + Math.abs(v)));
        });
      }
    });
  }

  for (const activations of ['bf16', 'f16'] as const) {
    it(`differentiates the mixed ${activations} call with dy in y's dtype (f32), natively and composed alike`, () => {
      const cotangent = Float64Array.from({ length: B * T * H * P }, (_, i) => Math.sin(i));
      const results = (['none', 'all'] as const).map((policy) =>
        tidy(() => {
          setFallbackPolicy(policy);
          const all = inputs(activations, 'f32');
          const xs = [all.x, all.dt, all.A, all.Bm, all.Cm, all.D, all.initialState];
          const { grads } = vjp(
            () => ssmScan(all, { chunkSize: 4 }).y,
            xs,
            (y) => {
              expect(y.dtype).toBe('f32');
              return tensor(cotangent, y.shape, y.dtype);
            },
          );
          grads.forEach((g, i) => {
            expect(g.dtype).toBe(xs[i]!.dtype);
          });
          return grads.map((g) => Array.from(g.dataSync() as ArrayLike<number>));
        }),
      );
      setFallbackPolicy('none');
      const [native, composed] = results as [number[][], number[][]];
      // dx, dBm, dCm are one 16-bit rounding of nearly equal values; ddt, dA, dD, dinitialState are f32 on both paths.
      const bounds = [1e-2, 1e-5, 1e-5, 1e-2, 1e-2, 1e-5, 1e-5];
      native.forEach((grad, i) => {
        const diff = Math.hypot(...grad.map((v, j) => v - composed[i]![j]!));
        expect(diff, `input ${i}`).toBeLessThanOrEqual(bounds[i]! * Math.hypot(...grad));
      });
    });
  }

  it('still takes one dtype throughout, y in that dtype', () => {
    for (const dtype of ['f32', 'bf16', 'f64'] as const) {
      tidy(() => {
        const all = inputs(dtype, dtype);
        const state = tensor(new Float64Array(B * H * P * N), [B, H, P, N], dtype === 'f64' ? 'f64' : 'f32');
        const { y } = ssmScan({ ...all, initialState: state }, { chunkSize: 4 });
        expect(y.dtype).toBe(dtype);
      });
    }
  });

  it('refuses dt/A/D in another dtype than x or f32, or of mixed dtypes, naming the input', () => {
    const cases: Array<[() => ReturnType<typeof inputs>, RegExp]> = [
      [() => inputs('bf16', 'f16'), /ssmScan: dt must be bf16 \(x's dtype\) or f32, got f16/],
      [() => inputs('f32', 'bf16'), /ssmScan: dt must be f32 \(x's dtype\), got bf16/],
      [() => inputs('bf16', 'f32', 'bf16'), /ssmScan: D must be f32\[4\], got bf16\[4\]/],
      [() => inputs('bf16', 'f32', 'f32', 'bf16'), /ssmScan: A must be f32\[4\], got bf16\[4\]/],
      [
        () => ({ ...inputs('bf16', 'f32'), Cm: tensor(new Float64Array(B * T * G * N), [B, T, G, N], 'f32') }),
        /Cm must be bf16/,
      ],
    ];
    for (const [make, message] of cases) {
      tidy(() => {
        const bad = make();
        expect(() => ssmScan(bad, { chunkSize: 4 })).toThrow(message);
        dispose(Object.values(bad));
      });
    }
  });
});

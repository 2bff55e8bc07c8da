/**
 * ssmScan's dtype rules: x, Bm, Cm in the activations' dtype; dt, A, D in that dtype or — for 16-bit activations —
 * f32, one dtype for the three (what a bf16/f16 model passes). The mixed call runs natively and composed, y in x's
 * dtype, finalState f32; anything else is refused naming the input.
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
          expect(y.dtype).toBe(activations);
          expect(finalState.dtype).toBe('f32');
          return [
            Array.from(y.dataSync() as ArrayLike<number>),
            Array.from(finalState.dataSync() as ArrayLike<number>),
          ];
        }),
      );
      setFallbackPolicy('none');
      const [native, composed] = results as [number[][], number[][]];
      // finalState is f32 on both paths; y is one rounding of nearly equal f32 values (at most one 16-bit step apart).
      for (const [output, bound] of [
        [1, 1e-5],
        [0, 1e-2],
      ] as const) {
        native[output]!.forEach((v, i) => {
          expect(Math.abs(v - composed[output]![i]!)).toBeLessThan(bound * (1 + Math.abs(v)));
        });
      }
    });
  }

  it('still takes one dtype throughout', () => {
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

/**
 * addRmsNorm's input rules (x and residual one shape and float dtype, weight [D] of that dtype, eps ≥ 0: anything
 * else refused naming the input), and its one promise beyond the conformance suite's tolerances: on the reference
 * backend the fused kernel gives exactly the bits of the add → rmsNorm it replaces (both round the sum once, then
 * normalise that stored sum), in every float dtype.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import {
  add,
  addRmsNorm,
  type DType,
  dispatchCounts,
  resetDispatchCounts,
  rmsNorm,
  setFallbackPolicy,
  type Tensor,
  tensor,
  tidy,
  useBackend,
  zeros,
} from '../src/index.js';
import { values } from './deterministic-values.js';

describe('addRmsNorm', () => {
  beforeAll(() => useBackend(createReferenceBackend()));
  afterEach(() => setFallbackPolicy('none'));

  it('refuses a residual of another shape or dtype, a weight that does not fit, a negative eps', () => {
    tidy(() => {
      const x = zeros([2, 6], 'f32');
      const w = zeros([6], 'f32');
      expect(() => addRmsNorm(x, zeros([1, 6], 'f32'), w, 1e-5)).toThrow(
        /addRmsNorm: residual f32\[1, 6\] must match x f32\[2, 6\] \(no broadcasting\)/,
      );
      expect(() => addRmsNorm(x, zeros([2, 6], 'bf16'), w, 1e-5)).toThrow(/residual bf16\[2, 6\] must match x f32/);
      expect(() => addRmsNorm(x, x, zeros([5], 'f32'), 1e-5)).toThrow(
        /weight must be f32\[6\] \(the last axis of x \[2, 6\]\), got f32\[5\]/,
      );
      expect(() => addRmsNorm(x, x, zeros([6], 'f16'), 1e-5)).toThrow(/weight must be f32\[6\].*got f16\[6\]/);
      expect(() => addRmsNorm(x, x, w, -1)).toThrow(/eps must be ≥ 0, got -1/);
      expect(() => addRmsNorm(zeros([2, 6], 'i32'), zeros([2, 6], 'i32'), w, 1e-5)).toThrow(
        /x must be a float tensor \[\.\.\., D\], got i32\[2, 6\]/,
      );
    });
  });

  for (const dtype of ['f64', 'f32', 'bf16', 'f16'] as DType[]) {
    it(`${dtype}: the native kernel equals add → rmsNorm bit for bit, and so does the composition`, async () => {
      const shape = [3, 2, 37];
      const n = 3 * 2 * 37;
      const x = tensor(values(n, 1), shape, dtype);
      const r = tensor(values(n, 2), shape, dtype);
      const w = tensor(
        values(37, 3).map((v) => 1 + v / 4),
        [37],
        dtype,
      );
      const read = async (t: Tensor): Promise<number[]> => Array.from((await t.data()) as ArrayLike<number>);
      const expectedSum = add(x, r);
      const expectedNormed = rmsNorm(expectedSum, w, 1e-5);
      resetDispatchCounts();
      const fused = addRmsNorm(x, r, w, 1e-5);
      setFallbackPolicy(['AddRmsNorm']);
      const composed = addRmsNorm(x, r, w, 1e-5);
      expect(dispatchCounts().AddRmsNorm).toEqual({ native: 1, fallback: 1 });
      for (const out of [fused, composed]) {
        expect(out.sum.dtype).toBe(dtype);
        expect(out.normed.shape).toEqual(shape);
        expect(await read(out.sum)).toEqual(await read(expectedSum));
        expect(await read(out.normed)).toEqual(await read(expectedNormed));
      }
      for (const t of [x, r, w, expectedSum, expectedNormed, fused.sum, fused.normed, composed.sum, composed.normed]) {
        t.dispose();
      }
    });
  }
});

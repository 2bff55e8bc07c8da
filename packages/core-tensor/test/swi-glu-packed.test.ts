/**
 * swiGluPacked's input rules (a float gateUp whose last axis is even and > 0, a finite gateMultiplier: anything else
 * refused naming the problem), and its one promise beyond the conformance suite's tolerances: on the reference
 * backend the fused kernel gives exactly the bits of swiGlu(gate, up) on the two halves of the packed projection,
 * in every float dtype, natively and through its composition.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import {
  type DType,
  dispatchCounts,
  resetDispatchCounts,
  setFallbackPolicy,
  sliceAxis,
  swiGlu,
  swiGluPacked,
  type Tensor,
  tensor,
  tidy,
  useBackend,
  zeros,
} from '../src/index.js';
import { values } from './deterministic-values.js';

describe('swiGluPacked', () => {
  beforeAll(() => useBackend(createReferenceBackend()));
  afterEach(() => setFallbackPolicy('none'));

  it('refuses an odd or empty last axis, a scalar, an integer tensor, a non-finite gateMultiplier', () => {
    tidy(() => {
      expect(() => swiGluPacked(zeros([2, 7], 'f32'))).toThrow(
        /swiGluPacked: gateUp \[2, 7\] must be \[\.\.\., 2I\] \(the last axis even and > 0: gate then up\)/,
      );
      expect(() => swiGluPacked(zeros([2, 0], 'f32'))).toThrow(/gateUp \[2, 0\] must be \[\.\.\., 2I\]/);
      expect(() => swiGluPacked(zeros([], 'f32'))).toThrow(/gateUp \[\] must be \[\.\.\., 2I\]/);
      expect(() => swiGluPacked(zeros([2, 6], 'i32'))).toThrow(/gateUp must be a float tensor, got i32/);
      expect(() => swiGluPacked(zeros([2, 6], 'f32'), Number.NaN)).toThrow(/gateMultiplier must be finite, got NaN/);
    });
  });

  for (const dtype of ['f64', 'f32', 'bf16', 'f16'] as DType[]) {
    it(`${dtype}: the native kernel equals swiGlu of the two halves bit for bit, and so does the composition`, async () => {
      const I = 37;
      const shape = [3, 2, 2 * I];
      const gateUp = tensor(
        values(3 * 2 * 2 * I, 7).map((v) => 2 * v),
        shape,
        dtype,
      );
      const read = async (t: Tensor): Promise<number[]> => Array.from((await t.data()) as ArrayLike<number>);
      const expected = tidy(() => swiGlu(sliceAxis(gateUp, -1, 0, I), sliceAxis(gateUp, -1, I, I), 0.3125));
      resetDispatchCounts();
      const fused = swiGluPacked(gateUp, 0.3125);
      setFallbackPolicy(['SwiGluPacked']);
      const composed = swiGluPacked(gateUp, 0.3125);
      expect(dispatchCounts().SwiGluPacked).toEqual({ native: 1, fallback: 1 });
      for (const out of [fused, composed]) {
        expect(out.dtype).toBe(dtype);
        expect(out.shape).toEqual([3, 2, I]);
        expect(await read(out)).toEqual(await read(expected));
      }
      for (const t of [gateUp, expected, fused, composed]) t.dispose();
    });
  }
});

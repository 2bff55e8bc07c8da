/** Global-norm clipping against the norm computed here from the values. */
import '@falcon-h1/backend-reference';
import { clipGradNorm, dispose, globalGradNorm, tensor } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { floats } from '../helpers.js';

const A = [3, -4, 1, 2];
const B = [0.5, -2, 6];
const norm = Math.sqrt([...A, ...B].reduce((s, x) => s + x * x, 0));

describe('clipGradNorm', () => {
  it('measures the global L2 norm over every gradient', async () => {
    const grads = [tensor(A, [2, 2], 'f32'), tensor(B, [3], 'f32')];
    expect(await globalGradNorm(grads)).toBeCloseTo(norm, 5);
    dispose(grads);
  });

  it('scales every gradient by maxNorm / (norm + 1e-6) above the limit, leaves them below it', async () => {
    const grads = [tensor(A, [2, 2], 'f32'), tensor(B, [3], 'f32')];
    const clipped = await clipGradNorm(grads, 2);
    const factor = 2 / (norm + 1e-6);
    expect(clipped.finite).toBe(true);
    expect(clipped.norm).toBeCloseTo(norm, 5);
    expect(clipped.factor).toBeCloseTo(factor, 7);
    const got = [...(await floats(clipped.grads[0]!)), ...(await floats(clipped.grads[1]!))];
    got.forEach((x, i) => {
      expect(x).toBeCloseTo([...A, ...B][i]! * factor, 6);
    });
    const untouched = await clipGradNorm(grads, 100);
    expect(untouched.factor).toBe(1);
    expect(await floats(untouched.grads[1]!)).toEqual(B);
    dispose([grads, clipped.grads, untouched.grads]);
  });

  it('reports a non-finite norm without spreading it (or throws when asked)', async () => {
    const grads = [tensor([1, Number.POSITIVE_INFINITY], [2], 'f32'), tensor([Number.NaN, 1], [2], 'f32')];
    const result = await clipGradNorm(grads, 1);
    expect(result.finite).toBe(false);
    expect(result.factor).toBe(1);
    expect(await floats(result.grads[0]!)).toEqual([1, Number.POSITIVE_INFINITY]);
    await expect(clipGradNorm(grads, 1, { errorIfNonFinite: true })).rejects.toThrow(/inf or NaN/);
    await expect(clipGradNorm(grads, 0)).rejects.toThrow(/maxNorm/);
    dispose([grads, result.grads]);
  });
});

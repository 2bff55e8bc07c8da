/** The README's usage example, verbatim in substance: it must keep working. */

import { memory, rmsNorm, sum, tensor, valueAndGrads } from '@falcon-h1/core-tensor';
import { expect, it } from 'vitest';
import '@falcon-h1/backend-reference';

it('README example: rmsNorm forward + backward on the reference backend', async () => {
  const before = memory().numTensors;
  const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const w = tensor([0.5, 1, 2], [3]);
  const { value, grads } = valueAndGrads(() => sum(rmsNorm(x, w, 1e-6)), [x, w]);
  const rms = (a: number[]): number => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  const r1 = rms([1, 2, 3]);
  const r2 = rms([4, 5, 6]);
  const expected = (0.5 * 1 + 2 + 2 * 3) / r1 + (0.5 * 4 + 5 + 2 * 6) / r2;
  expect((await value.data())[0]).toBeCloseTo(expected, 5);
  // d/dw_j Σ = Σ_rows x_j / rms(row)
  expect(Array.from((await grads[1]!.data()) as Float32Array)).toEqual(
    [1 / r1 + 4 / r2, 2 / r1 + 5 / r2, 3 / r1 + 6 / r2].map((v) => expect.closeTo(v, 5)),
  );
  expect(memory().numTensors - before).toBe(5);
  for (const t of [x, w, value, ...grads]) t.dispose();
  expect(memory().numTensors).toBe(before);
});

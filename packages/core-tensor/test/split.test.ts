/**
 * `split` is differentiated as one operation: x's gradient is the pieces' gradients concatenated — one Concat, with
 * zeros only for a piece that got no gradient — instead of one zero-padded copy per piece's Slice gradient and an Add
 * per piece after the first. On the reference backend in float64: the same values as slicing piece by piece (the
 * same kernels' sums: a padded copy adds exact zeros), the kernels the backward pass runs, nothing leaked.
 */
import { describe, expect, it } from 'vitest';
import { add, dispose, mul, sliceAxis, split, sum, type Tensor, tensor, tidy, valueAndGrads } from '../src/index.js';
import { kernelsOf } from './kernels-run.js';
import { referenceBackendWithoutLeaks } from './reference-backend-no-leaks.js';

referenceBackendWithoutLeaks();

/** [2, 3, 7] float64 values and a weight per piece, so each piece's gradient differs. */
function input(): Tensor {
  return tensor(
    Array.from({ length: 42 }, (_, i) => Math.sin(i + 1)),
    [2, 3, 7],
    'f64',
  );
}

/** Σ_k w_k · Σ piece_k², the pieces of x along the last axis (split, or one sliceAxis per piece). */
function loss(x: Tensor, sizes: number[], useSplit: boolean, used: boolean[]): Tensor {
  let pieces: Tensor[];
  if (useSplit) {
    pieces = split(x, sizes, -1);
  } else {
    let start = 0;
    pieces = sizes.map((n) => {
      const piece = sliceAxis(x, 2, start, n);
      start += n;
      return piece;
    });
  }
  const terms = pieces.map((p, k) => (used[k] ? sum(mul(mul(p, p), tensor([k + 1], [1], 'f64'))) : undefined));
  return terms.filter((t): t is Tensor => t !== undefined).reduce((a, b) => add(a, b));
}

describe('split', () => {
  for (const [sizes, used] of [
    [
      [2, 4, 1],
      [true, true, true],
    ],
    [
      [3, 1, 3],
      [false, true, false],
    ],
    [[7], [true]],
  ] as Array<[number[], boolean[]]>) {
    it(`pieces ${JSON.stringify(sizes)}, gradients for ${JSON.stringify(used)}: x's gradient is the slices' gradient, by one Concat`, async () => {
      const x = input();
      const [viaSplit, viaSlices] = tidy(() => [
        valueAndGrads(() => loss(x, sizes, true, used), [x]).grads[0]!,
        valueAndGrads(() => loss(x, sizes, false, used), [x]).grads[0]!,
      ]);
      expect([...((await viaSplit!.data()) as Float64Array)]).toEqual([...((await viaSlices!.data()) as Float64Array)]);
      // The backward kernels of both ways (the rest of the loss's backward is the same in both).
      const backward = (useSplit: boolean): Map<string, number> =>
        kernelsOf(() => dispose(tidy(() => valueAndGrads(() => loss(x, sizes, useSplit, used), [x]).grads[0])));
      const bySplit = backward(true);
      const bySlices = backward(false);
      const count = (k: Map<string, number>, name: string): number => k.get(name) ?? 0;
      // Per used piece, its Slice gradient pads it with a Fill on each side it does not reach and one Concat (none for
      // a piece that is all of x); split: one Concat of every piece, a Fill for each piece without a gradient.
      let start = 0;
      let fills = 0;
      let concats = 0;
      sizes.forEach((n, i) => {
        const sides = (start > 0 ? 1 : 0) + (start + n < 7 ? 1 : 0);
        if (used[i]) {
          fills += sides;
          concats += sides > 0 ? 1 : 0;
        }
        start += n;
      });
      const usedPieces = used.filter(Boolean).length;
      expect(count(bySplit, 'Concat')).toBe(1);
      expect(count(bySlices, 'Concat') - count(bySplit, 'Concat')).toBe(concats - 1);
      expect(count(bySlices, 'Fill') - count(bySplit, 'Fill')).toBe(fills - (used.length - usedPieces));
      expect(count(bySlices, 'Add') - count(bySplit, 'Add')).toBe(usedPieces - 1);
      dispose([x, viaSplit, viaSlices]);
    });
  }

  it('rejects sizes that do not add up to the axis', () => {
    const x = input();
    expect(() => split(x, [3, 3], -1)).toThrow(/split: sizes sum to 6, axis 2 of \[2, 3, 7\] has 7/);
    x.dispose();
  });
});

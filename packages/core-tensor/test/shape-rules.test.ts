/** Shape arithmetic (src/shape-rules.ts): sizes, strides, axes, NumPy broadcasting and the axes a broadcast stretched. */
import { describe, expect, it } from 'vitest';
import {
  assertValidShape,
  broadcastAxes,
  broadcastShapes,
  formatShape,
  normalizeAxis,
  sameShape,
  sizeOf,
  stridesOf,
} from '../src/shape-rules.js';

describe('sizes and strides', () => {
  it('sizeOf multiplies the dims (1 for a scalar, 0 with an empty dim)', () => {
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([7])).toBe(7);
    expect(sizeOf([2, 3, 5])).toBe(30);
    expect(sizeOf([4, 0, 3])).toBe(0);
  });

  it('stridesOf gives row-major strides', () => {
    expect(stridesOf([])).toEqual([]);
    expect(stridesOf([5])).toEqual([1]);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([3, 1, 2])).toEqual([2, 2, 1]);
    expect(stridesOf([2, 0, 3])).toEqual([0, 3, 1]);
  });

  it('sameShape and formatShape', () => {
    expect(sameShape([2, 3], [2, 3])).toBe(true);
    expect(sameShape([2, 3], [3, 2])).toBe(false);
    expect(sameShape([2, 3], [2, 3, 1])).toBe(false);
    expect(sameShape([], [])).toBe(true);
    expect(formatShape([2, 3])).toBe('[2, 3]');
    expect(formatShape([])).toBe('[]');
  });

  it('assertValidShape rejects negative and fractional dims', () => {
    expect(() => assertValidShape([2, 0, 3])).not.toThrow();
    expect(() => assertValidShape([])).not.toThrow();
    expect(() => assertValidShape([2, -1])).toThrow(/invalid shape \[2, -1\]/);
    expect(() => assertValidShape([1.5])).toThrow(/integers/);
    expect(() => assertValidShape([Number.NaN])).toThrow();
  });
});

describe('normalizeAxis', () => {
  it('maps negative axes and keeps valid positive ones', () => {
    expect(normalizeAxis(0, 3)).toBe(0);
    expect(normalizeAxis(2, 3)).toBe(2);
    expect(normalizeAxis(-1, 3)).toBe(2);
    expect(normalizeAxis(-3, 3)).toBe(0);
  });

  it('rejects out-of-range and non-integer axes, naming the rank', () => {
    expect(() => normalizeAxis(3, 3)).toThrow(/axis 3 is out of range for a tensor of rank 3/);
    expect(() => normalizeAxis(-4, 3)).toThrow(/out of range/);
    expect(() => normalizeAxis(0.5, 3)).toThrow(/out of range/);
    expect(() => normalizeAxis(5, 2, 'perm entry')).toThrow(/^perm entry 5/);
  });
});

describe('broadcastShapes', () => {
  const cases: Array<[number[], number[], number[]]> = [
    [[], [], []],
    [[3], [], [3]],
    [[], [2, 3], [2, 3]],
    [[2, 3], [3], [2, 3]],
    [
      [2, 1],
      [1, 3],
      [2, 3],
    ],
    [
      [4, 1, 5],
      [3, 1],
      [4, 3, 5],
    ],
    [[1, 1, 1], [7], [1, 1, 7]],
    [
      [5, 1, 3],
      [5, 2, 1],
      [5, 2, 3],
    ],
    [[1], [0], [0]],
    [
      [2, 0],
      [1, 0],
      [2, 0],
    ],
    [
      [0, 1],
      [1, 4],
      [0, 4],
    ],
  ];
  it.each(cases)('%j with %j → %j', (a, b, out) => {
    expect(broadcastShapes(a, b)).toEqual(out);
    expect(broadcastShapes(b, a)).toEqual(out);
  });

  it('throws naming both shapes when dims differ and neither is 1', () => {
    expect(() => broadcastShapes([2, 3], [4])).toThrow('shapes [2, 3] and [4] cannot be broadcast together');
    expect(() => broadcastShapes([3, 2], [2, 3])).toThrow(/cannot be broadcast/);
    expect(() => broadcastShapes([0], [3])).toThrow(/cannot be broadcast/);
  });
});

describe('broadcastAxes', () => {
  it('lists the output axes a tensor was stretched along (leading new axes included)', () => {
    expect(broadcastAxes([2, 3], [2, 3])).toEqual([]);
    expect(broadcastAxes([3], [2, 3])).toEqual([0]);
    expect(broadcastAxes([], [2, 3])).toEqual([0, 1]);
    expect(broadcastAxes([2, 1], [2, 3])).toEqual([1]);
    expect(broadcastAxes([1, 3], [4, 2, 3])).toEqual([0, 1]);
    expect(broadcastAxes([4, 1, 5], [4, 3, 5])).toEqual([1]);
    expect(broadcastAxes([1, 1], [1, 1])).toEqual([]); // a size-1 axis that stays size 1 is not broadcast
    expect(broadcastAxes([1], [2, 1])).toEqual([0]);
    expect(broadcastAxes([1], [0])).toEqual([0]);
  });

  it('summing over the listed axes and reshaping undoes broadcastShapes for random shapes', () => {
    let seed = 17;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 200; trial++) {
      const rank = next(5);
      const out = Array.from({ length: rank }, () => 1 + next(4));
      const inRank = next(rank + 1);
      const inShape = out.slice(rank - inRank).map((d) => (next(2) === 0 ? 1 : d));
      expect(broadcastShapes(inShape, out)).toEqual(out);
      const axes = broadcastAxes(inShape, out);
      // Reducing those axes of `out` leaves exactly the input's element count (the reshape that follows is valid).
      const kept = out.filter((_, i) => !axes.includes(i));
      expect(sizeOf(kept)).toBe(sizeOf(inShape));
      for (const a of axes) expect(a < rank - inRank || inShape[a - (rank - inRank)] === 1).toBe(true);
    }
  });
});

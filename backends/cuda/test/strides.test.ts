/** The launch-side index arithmetic: broadcast strides, dimension merging, reduction layouts, MatMul batch plans. */
import { describe, expect, it } from 'vitest';
import { fillBits } from '../src/kernels/layout.js';
import { inverseFrequencies } from '../src/kernels/Rope.js';
import { broadcastLayout, broadcastStrides, mergeDims, planMatMul, reduceLayout } from '../src/strides.js';

describe('broadcast layouts', () => {
  it('gives stretched and missing dims stride 0', () => {
    expect(broadcastStrides([3, 1], [2, 3, 5])).toEqual([0, 1, 0]);
    expect(broadcastStrides([2, 3, 5], [2, 3, 5])).toEqual([15, 5, 1]);
  });

  it('merges dims that are contiguous in every operand', () => {
    expect(broadcastLayout([4, 33], [[4, 33], [33]])).toEqual({
      shape: [4, 33],
      strides: [
        [33, 1],
        [0, 1],
      ],
    });
    expect(
      broadcastLayout(
        [5, 7],
        [
          [5, 7],
          [5, 7],
        ],
      ),
    ).toEqual({ shape: [35], strides: [[1], [1]] });
    expect(
      broadcastLayout(
        [2, 3, 4, 5],
        [
          [2, 3, 1, 5],
          [1, 3, 4, 1],
        ],
      ),
    ).toEqual({
      shape: [2, 3, 4, 5],
      strides: [
        [15, 5, 0, 1],
        [0, 4, 1, 0],
      ],
    });
    expect(mergeDims([], [[]])).toEqual({ shape: [], strides: [[]] });
  });
});

describe('reduceLayout', () => {
  it('splits kept and reduced dims with their strides', () => {
    expect(reduceLayout([3, 4, 5], [0, 2])).toEqual({
      outCount: 4,
      kept: { shape: [4], strides: [[5]] },
      redCount: 15,
      red: { shape: [3, 5], strides: [[20, 1]] },
    });
    expect(reduceLayout([2, 3, 129], [2]).red).toEqual({ shape: [129], strides: [[1]] });
    expect(reduceLayout([6, 1, 9], [0, 1, 2])).toMatchObject({ outCount: 1, redCount: 54, red: { shape: [54] } });
  });
});

describe('planMatMul', () => {
  it('plain and transposed 2-d products: one matrix', () => {
    const p = planMatMul([7, 13], [5, 13], false, true);
    expect(p).toMatchObject({ M: 7, N: 5, K: 13, outShape: [7, 5], batch: 1, outerA: [0], outerB: [0] });
  });

  it('a batch of row-major matrices against a shared one is one taller GEMM', () => {
    const p = planMatMul([2, 3, 9, 17], [17, 11], false, false);
    expect(p).toMatchObject({ M: 54, N: 11, K: 17, outShape: [2, 3, 9, 11], batch: 1, outerA: [0], outerB: [0] });
  });

  it('a transposed batch against a shared matrix is one strided batch with stride 0', () => {
    const p = planMatMul([2, 3, 17, 9], [17, 11], true, false);
    expect(p).toMatchObject({ M: 9, outShape: [2, 3, 9, 11], batch: 6, strideA: 9 * 17, strideB: 0, outerA: [0] });
  });

  it('crossed broadcasts become outer offsets', () => {
    const p = planMatMul([3, 1, 6, 4], [2, 4, 5], false, false);
    expect(p.outShape).toEqual([3, 2, 6, 5]);
    expect(p.batch).toBe(2);
    expect(p.strideA).toBe(0);
    expect(p.strideB).toBe(20);
    expect(p.outerA).toEqual([0, 24, 48]);
    expect(p.outerB).toEqual([0, 0, 0]);
  });
});

describe('Fill bits and RoPE frequencies', () => {
  it('rounds the fill value exactly as the oracle stores it', () => {
    expect(fillBits(1, 'f32')).toBe(0x3f800000);
    expect(fillBits(1, 'bf16')).toBe(0x3f80);
    expect(fillBits(1, 'f16')).toBe(0x3c00);
    expect(fillBits(-1, 'i32')).toBe(0xffffffff);
    expect(fillBits(257.9, 'u8')).toBe(1);
    expect(fillBits(Number.NaN, 'i32')).toBe(0);
  });

  it('pins the inverse frequencies to f32 as transformers computes them', () => {
    const f = inverseFrequencies(1e4, 8);
    expect(f.length).toBe(4);
    expect(f[0]).toBe(1);
    expect(f[1]).toBe(Math.fround(1 / Math.fround(Math.fround(1e4) ** Math.fround(2 / 8))));
  });
});

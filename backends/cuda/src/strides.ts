/**
 * strides.ts — the index arithmetic the TypeScript side does before a launch, so kernels see few dimensions:
 * NumPy broadcast strides, merging of dimensions that are contiguous in every operand, reduction layouts and the
 * batch plan of MatMul (one strided batch per outer index).
 */
import { broadcastShapes, sizeOf, stridesOf } from '@falcon-h1/core-tensor';

/** The rank limit of the native strided kernels (native/src/fh.h kMaxRank). */
export const MAX_RANK = 8;

/** A merged layout: one shape, and per operand its element strides over that shape. */
export interface MergedLayout {
  shape: number[];
  strides: number[][];
}

/** Strides of `shape` seen from the broadcast `outShape`: 0 where the operand is missing the axis or stretches a 1. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const offset = outShape.length - shape.length;
  const own = stridesOf(shape);
  return outShape.map((_, d) => {
    if (d < offset) return 0;
    const dim = shape[d - offset]!;
    return dim === 1 ? 0 : own[d - offset]!;
  });
}

/**
 * Drops size-1 dims and merges dims d, d+1 wherever every operand has stride[d] = stride[d+1]·shape[d+1], so the
 * element order (row-major over `shape`) is unchanged.
 */
export function mergeDims(shape: readonly number[], strides: readonly (readonly number[])[]): MergedLayout {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k]![last] === s[d]! * shape[d]!)) {
      dims[last]! *= shape[d]!;
      for (let k = 0; k < strides.length; k++) st[k]![last] = strides[k]![d]!;
    } else {
      dims.push(shape[d]!);
      for (let k = 0; k < strides.length; k++) st[k]!.push(strides[k]![d]!);
    }
  }
  if (dims.length > MAX_RANK) {
    throw new Error(`cuda backend: ${dims.length} dimensions remain after merging (at most ${MAX_RANK} are supported)`);
  }
  return { shape: dims, strides: st };
}

/** The merged layout of an elementwise op over broadcast operands. */
export function broadcastLayout(outShape: readonly number[], operands: readonly (readonly number[])[]): MergedLayout {
  return mergeDims(
    outShape,
    operands.map((s) => broadcastStrides(s, outShape)),
  );
}

export { broadcastShapes, sizeOf, stridesOf };

/** Layout of a reduction of x over `axes`: kept dims (the output's order) and reduced dims, each merged. */
export function reduceLayout(
  shape: readonly number[],
  axes: readonly number[],
): { outCount: number; kept: MergedLayout; redCount: number; red: MergedLayout } {
  const st = stridesOf(shape);
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const redShape: number[] = [];
  const redStrides: number[] = [];
  shape.forEach((dim, d) => {
    if (axes.includes(d)) {
      redShape.push(dim);
      redStrides.push(st[d]!);
    } else {
      keptShape.push(dim);
      keptStrides.push(st[d]!);
    }
  });
  return {
    outCount: sizeOf(keptShape),
    kept: mergeDims(keptShape, [keptStrides]),
    redCount: sizeOf(redShape),
    red: mergeDims(redShape, [redStrides]),
  };
}

/** [outer, n, inner] around `axis`. */
export function splitAtAxis(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

/** How a broadcast batched MatMul is issued: outer offsets × one strided batch. Offsets/strides in elements. */
export interface MatMulPlan {
  M: number;
  N: number;
  K: number;
  /** Output shape [...batch, M, N]. */
  outShape: number[];
  batch: number;
  strideA: number;
  strideB: number;
  strideC: number;
  outerA: number[];
  outerB: number[];
}

export function planMatMul(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan {
  const ra = aShape.length;
  const rb = bShape.length;
  const M = transposeA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const K = transposeA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const N = transposeB ? bShape[rb - 2]! : bShape[rb - 1]!;
  const batchA = aShape.slice(0, ra - 2);
  const batchB = bShape.slice(0, rb - 2);
  const batchShape = broadcastShapes(batchA, batchB);
  const sa = broadcastStrides(batchA, batchShape).map((s) => s * M * K);
  const sb = broadcastStrides(batchB, batchShape).map((s) => s * K * N);
  const sc = stridesOf(batchShape).map((s) => s * M * N);
  // Merge batch dims, then take the longest mergeable suffix as the strided batch; the rest is the outer loop.
  const merged = mergeDims(batchShape, [sa, sb, sc]);
  const dims = merged.shape;
  const [ma, mb] = merged.strides as [number[], number[], number[]];
  let batch = 1;
  let strideA = 0;
  let strideB = 0;
  const strideC = M * N;
  let outerDims = dims.length;
  if (dims.length > 0) {
    batch = dims.at(-1)!;
    strideA = ma.at(-1)!;
    strideB = mb.at(-1)!;
    outerDims = dims.length - 1;
  }
  // Outer offsets, row-major over the remaining dims.
  const outerShape = dims.slice(0, outerDims);
  const outerCount = sizeOf(outerShape);
  const outerA = new Array<number>(outerCount);
  const outerB = new Array<number>(outerCount);
  const coord = new Array<number>(outerShape.length).fill(0);
  for (let o = 0; o < outerCount; o++) {
    let offA = 0;
    let offB = 0;
    for (let d = 0; d < outerShape.length; d++) {
      offA += coord[d]! * ma[d]!;
      offB += coord[d]! * mb[d]!;
    }
    outerA[o] = offA;
    outerB[o] = offB;
    for (let d = outerShape.length - 1; d >= 0; d--) {
      if (++coord[d]! < outerShape[d]!) break;
      coord[d] = 0;
    }
  }
  const outShape = [...batchShape, M, N];
  // A batch of row-major A against one shared B is a single taller GEMM: [batch·M, K] · [K, N].
  if (batch > 1 && outerCount === 1 && strideB === 0 && !transposeA && strideA === M * K) {
    return { M: batch * M, N, K, outShape, batch: 1, strideA: 0, strideB: 0, strideC: M * N * batch, outerA, outerB };
  }
  return { M, N, K, outShape, batch, strideA, strideB, strideC, outerA, outerB };
}

/**
 * Row-major shape arithmetic shared by the reference kernels: element counts and strides.
 * (Tensors are dense and contiguous, the last axis varying fastest: see kernel-contract.ts.)
 */

/** Number of elements of a tensor of `shape` (1 for a scalar, shape []). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides: strides[d] = Π_{e>d} shape[e]. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

/** Splits `shape` around `axis` into [outer, n, inner]: elements are indexed (o·n + i)·inner + r. */
export function splitAtAxis(shape: readonly number[], axis: number): [outer: number, n: number, inner: number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

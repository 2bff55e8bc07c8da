/**
 * Shape arithmetic for the kernels' TypeScript glue: element counts, broadcasting and the collapsed `info`
 * blocks the C side reads (csrc/elementwise.h): [rank, shape[rank], strides of input 0[rank], ...] in elements,
 * a stride of 0 where an input stretches. Adjacent axes that every input walks contiguously are merged, so most
 * broadcasts reach C as one or two axes.
 */

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d]!;
  }
  return strides;
}

/** NumPy broadcast shape; throws naming the shapes when they do not broadcast. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const d = rank - shape.length + i;
      const dim = shape[i]!;
      if (dim === out[d] || dim === 1) continue;
      if (out[d] !== 1) {
        throw new Error(`cannot broadcast shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(' and ')}`);
      }
      out[d] = dim;
    }
  }
  return out;
}

/** The broadcast info block for `inputs` read over `outShape`. */
export function broadcastInfo(outShape: readonly number[], inputs: (readonly number[])[]): number[] {
  const rank = outShape.length;
  const strides = inputs.map((shape) => {
    const own = stridesOf(shape);
    const offset = rank - shape.length;
    return outShape.map((_, d) => (d < offset || shape[d - offset] === 1 ? 0 : own[d - offset]!));
  });
  // Drop size-1 axes, then merge axis d into d+1 when every input steps contiguously across them.
  let dims: number[] = [];
  let st: number[][] = inputs.map(() => []);
  for (let d = 0; d < rank; d++) {
    if (outShape[d] === 1) continue;
    dims.push(outShape[d]!);
    for (let k = 0; k < strides.length; k++) st[k]!.push(strides[k]![d]!);
  }
  if (dims.length === 0) {
    dims = [1];
    st = inputs.map(() => [0]);
  }
  const mergedDims: number[] = [dims[0]!];
  const mergedStrides = st.map((s) => [s[0]!]);
  for (let d = 1; d < dims.length; d++) {
    const last = mergedDims.length - 1;
    const inner = dims[d]!;
    const mergeable = st.every((s, k) => mergedStrides[k]![last] === s[d]! * inner);
    if (mergeable) {
      mergedDims[last] = mergedDims[last]! * inner;
      for (let k = 0; k < st.length; k++) mergedStrides[k]![last] = st[k]![d]!;
    } else {
      mergedDims.push(inner);
      for (let k = 0; k < st.length; k++) mergedStrides[k]!.push(st[k]![d]!);
    }
  }
  return [mergedDims.length, ...mergedDims, ...mergedStrides.flat()];
}

/** Splits `shape` around `axis` into [outer, n, inner]. */
export function splitAtAxis(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

/** A negative axis counted from the end. */
export function normaliseAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

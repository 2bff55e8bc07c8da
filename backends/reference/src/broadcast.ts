/**
 * NumPy broadcasting: shapes are right-aligned and a dimension of 1 stretches to match the other.
 *
 * The reference kernels broadcast by index tables: `broadcastSourceIndices(inShape, outShape)` gives, for every
 * element of the output (row-major), the flat index of the input element it reads. Memory-hungry, obviously right.
 */
import { sizeOf, stridesOf } from './shape.js';

/** The broadcast shape of `shapes`; throws when two dimensions are neither equal nor 1. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const d = rank - shape.length + i;
      const dim = shape[i];
      if (dim === out[d] || dim === 1) continue;
      if (out[d] !== 1) {
        throw new Error(`cannot broadcast shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(' and ')}`);
      }
      out[d] = dim;
    }
  }
  return out;
}

/**
 * For every element of `outShape` (row-major), the flat index of the element of `inShape` that broadcasting
 * maps onto it. `inShape` must broadcast to `outShape`.
 */
export function broadcastSourceIndices(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const outSize = sizeOf(outShape);
  const rank = outShape.length;
  const offset = rank - inShape.length;
  // Stride of each output axis in the input: 0 where the input is missing the axis or stretches a 1.
  const inStrides = stridesOf(inShape);
  const strideInInput = outShape.map((dim, d) => {
    const inDim = d < offset ? 1 : inShape[d - offset];
    if (inDim !== dim && inDim !== 1) {
      throw new Error(`shape [${inShape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
    }
    return inDim === 1 ? 0 : inStrides[d - offset];
  });
  const indices = new Int32Array(outSize);
  const coords = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < outSize; i++) {
    indices[i] = source;
    // Advance the output coordinates like an odometer, keeping `source` in step.
    for (let d = rank - 1; d >= 0; d--) {
      coords[d]++;
      source += strideInInput[d];
      if (coords[d] < outShape[d]) break;
      source -= strideInInput[d] * coords[d];
      coords[d] = 0;
    }
  }
  return indices;
}

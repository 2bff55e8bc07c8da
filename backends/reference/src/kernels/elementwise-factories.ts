/**
 * Factories for the one-line kernels: unary, binary, compare and reduce. Each kernel file (Neg.ts, Add.ts,
 * Less.ts, Sum.ts, ...) is a single call to one of these, as in tfjs-backend-cpu.
 *
 * Everything is computed in f64 and rounded once when stored (BufferStore.output). Integer arithmetic (i32)
 * follows the typed-array store rules: the f64 result is truncated and wrapped to 32 bits.
 */
import type {
  BinaryKernelName,
  CompareKernelName,
  ReduceKernelName,
  TensorInfo,
  UnaryKernelName,
} from '@falcon-h1/core-tensor';
import { broadcastShapes, broadcastSourceIndices } from '../broadcast.js';
import type { BufferStore } from '../buffer-store.js';
import type { ReferenceKernel } from '../reference-kernel.js';
import { sizeOf } from '../shape.js';

/** y = f(x) elementwise. Float dtypes; also i32 when `acceptsI32` (Neg, Abs). */
export function unaryKernel(
  name: UnaryKernelName,
  f: (x: number) => number,
  acceptsI32 = false,
): ReferenceKernel<UnaryKernelName> {
  return (store, { x }) => {
    if (!(x.dtype === 'i32' && acceptsI32)) requireFloat(name, x);
    const xs = store.numbers(x);
    const y = new Float64Array(xs.length);
    for (let i = 0; i < xs.length; i++) y[i] = f(xs[i]);
    return store.output(y, x.shape, x.dtype);
  };
}

/** y = f(a, b) over the broadcast shape; float or i32 (with `fInt` for i32: truncating Div, wrapping Mul). */
export function binaryKernel(
  name: BinaryKernelName,
  f: (a: number, b: number) => number,
  fInt: (a: number, b: number) => number = f,
): ReferenceKernel<BinaryKernelName> {
  return (store, { a, b }) => {
    requireSameDType(name, a, b);
    const op = a.dtype === 'i32' ? fInt : f;
    const { shape, as, bs, ai, bi } = broadcastPair(store, a, b);
    const y = new Float64Array(ai.length);
    for (let i = 0; i < y.length; i++) y[i] = op(as[ai[i]], bs[bi[i]]);
    return store.output(y, shape, a.dtype);
  };
}

/** y = pred(a, b) ? 1 : 0 over the broadcast shape, as u8. Any numeric dtype; NaN compares false. */
export function compareKernel(
  name: CompareKernelName,
  pred: (a: number, b: number) => boolean,
): ReferenceKernel<CompareKernelName> {
  return (store, { a, b }) => {
    requireSameDType(name, a, b);
    const { shape, as, bs, ai, bi } = broadcastPair(store, a, b);
    const y = new Uint8Array(ai.length);
    for (let i = 0; i < y.length; i++) y[i] = pred(as[ai[i]], bs[bi[i]]) ? 1 : 0;
    return store.adopt(y, shape, 'u8');
  };
}

/**
 * Reduction over `axes` (sorted, distinct). Sum: Σ (empty → 0). Mean: Σ / count. Max: NaN propagates
 * (Math.max does). Accumulates in f64; output dtype = input dtype.
 */
export function reduceKernel(name: ReduceKernelName): ReferenceKernel<ReduceKernelName> {
  return (store, { x }, { axes, keepDims }) => {
    const xs = store.numbers(x);
    const keptShape = x.shape.map((d, axis) => (axes.includes(axis) ? 1 : d));
    // The keepDims shape broadcasts to x's shape: broadcasting maps each x element onto its reduction slot.
    const slotOf = broadcastSourceIndices(keptShape, x.shape);
    const acc = new Float64Array(sizeOf(keptShape)).fill(name === 'Max' ? Number.NEGATIVE_INFINITY : 0);
    for (let i = 0; i < xs.length; i++) {
      const slot = slotOf[i];
      acc[slot] = name === 'Max' ? Math.max(acc[slot], xs[i]) : acc[slot] + xs[i];
    }
    if (name === 'Mean') {
      const count = sizeOf(axes.map((axis) => x.shape[axis]));
      for (let o = 0; o < acc.length; o++) acc[o] /= count;
    }
    const outShape = keepDims ? keptShape : x.shape.filter((_, axis) => !axes.includes(axis));
    return store.output(acc, outShape, x.dtype);
  };
}

function broadcastPair(store: BufferStore, a: TensorInfo, b: TensorInfo) {
  const shape = broadcastShapes(a.shape, b.shape);
  return {
    shape,
    as: store.numbers(a),
    bs: store.numbers(b),
    ai: broadcastSourceIndices(a.shape, shape),
    bi: broadcastSourceIndices(b.shape, shape),
  };
}

export function requireFloat(kernel: string, x: TensorInfo): void {
  if (x.dtype !== 'f64' && x.dtype !== 'f32' && x.dtype !== 'f16' && x.dtype !== 'bf16') {
    throw new Error(`${kernel}: expected a float tensor, got ${x.dtype}`);
  }
}

function requireSameDType(kernel: string, a: TensorInfo, b: TensorInfo): void {
  if (a.dtype !== b.dtype) throw new Error(`${kernel}: inputs must share one dtype, got ${a.dtype} and ${b.dtype}`);
}

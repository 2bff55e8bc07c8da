/**
 * The glue of Sum, Mean and Max: the reduced axes are grouped into runs of adjacent axes; each run is one C call
 * over x viewed as [outer, n, inner] (innermost run first), intermediate results unrounded, the last call
 * rounding to the dtype. Mean sums every run and divides once, in the last call.
 */
import type { KernelAttrs, KernelInputs, ReduceKernelName, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode, F32, isFloat } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

export function reduce(
  name: ReduceKernelName,
  backend: WasmBackend,
  { x }: KernelInputs<ReduceKernelName>,
  { axes, keepDims }: KernelAttrs<ReduceKernelName>,
): TensorInfo {
  if (x.dtype === 'u8') throw new Error(`${name}: u8 reductions are not supported (cast to i32 or a float first)`);
  const rank = x.shape.length;
  for (const axis of axes) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank)
      throw new Error(`${name}: axis ${axis} is out of range for rank ${rank}`);
  }
  const reduced = new Set(axes);
  const keptShape = x.shape.map((d, axis) => (reduced.has(axis) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, axis) => !reduced.has(axis));
  if (name === 'Max' && axes.some((axis) => x.shape[axis] === 0))
    throw new Error('Max: an empty reduction has no value');
  const count = sizeOf(axes.map((axis) => x.shape[axis]!));
  const code = dtypeCode(x.dtype);
  const out = backend.allocate(outShape, x.dtype);
  if (name === 'Mean' && x.dtype === 'i32') {
    // f64 mean, truncated like a typed-array store (the reference's semantics); rare enough for plain JavaScript.
    const src = backend.heap().i32.slice(backend.ptr(x) >>> 2, (backend.ptr(x) >>> 2) + sizeOf(x.shape));
    const sums = new Float64Array(sizeOf(keptShape));
    const keptStrides = keptShape.map((_, d) => sizeOf(keptShape.slice(d + 1)));
    const coords = new Array<number>(rank).fill(0);
    for (let i = 0; i < src.length; i++) {
      let slot = 0;
      for (let d = 0; d < rank; d++) if (!reduced.has(d)) slot += coords[d]! * keptStrides[d]!;
      sums[slot] += src[i]!;
      for (let d = rank - 1; d >= 0; d--) {
        if (++coords[d]! < x.shape[d]!) break;
        coords[d] = 0;
      }
    }
    backend.heap().i32.set(
      Int32Array.from(sums, (s) => s / count),
      out.ptr >>> 2,
    );
    return out.info;
  }
  // Runs of adjacent reduced axes, innermost first.
  const runs: Array<[number, number]> = [];
  for (let axis = rank - 1; axis >= 0; axis--) {
    if (!reduced.has(axis)) continue;
    const last = runs[runs.length - 1];
    if (last && last[0] === axis + 1) last[0] = axis;
    else runs.push([axis, axis]);
  }
  let shape = [...x.shape];
  let src = backend.ptr(x);
  let temp = 0;
  if (runs.length === 0) {
    backend.m._Copy(out.ptr, src, sizeOf(x.shape) * 4);
    return out.info;
  }
  try {
    for (let r = 0; r < runs.length; r++) {
      const [first, last] = runs[r]!;
      const outer = sizeOf(shape.slice(0, first));
      const n = sizeOf(shape.slice(first, last + 1));
      const inner = sizeOf(shape.slice(last + 1));
      const final = r === runs.length - 1;
      const dst = final ? out.ptr : backend.malloc(outer * inner * 4);
      const m = backend.m;
      if (name === 'Max') m._Max(dst, src, outer, n, inner, code);
      else if (name === 'Mean' && final) m._Mean(dst, src, outer, n, inner, count, code);
      else if (isFloat(x.dtype)) m._Sum(dst, src, outer, n, inner, final ? code : F32);
      else m._Sum(dst, src, outer, n, inner, code);
      if (temp) backend.free(temp);
      temp = final ? 0 : dst;
      src = dst;
      shape = [...shape.slice(0, first), 1, ...shape.slice(last + 1)];
    }
  } finally {
    if (temp) backend.free(temp);
  }
  return out.info;
}

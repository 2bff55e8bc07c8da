/**
 * Data movement (native/kernels/layout.cu): Cast, Copy, Slice, Transpose, Concat (a strided copy with merged dims
 * per piece, up to eight pieces in one launch), Fill (the value's storage bits are computed here, exactly as the oracle rounds), Gather, ScatterAdd.
 */
import type { DType, KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { BYTES_PER_ELEMENT, f32ToBf16Bits, f32ToF16Bits, sizeOf, stridesOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';
import { mergeDims } from '../strides.js';
import { requireI32 } from './checks.js';

export function cast(backend: CudaBackend, { x }: KernelInputs<'Cast'>, { dtype }: KernelAttrs<'Cast'>): TensorInfo {
  const out = backend.output(x.shape, dtype);
  const n = sizeOf(x.shape);
  if (dtype === x.dtype) backend.ctx.Copy(backend.id(out), backend.id(x), n * BYTES_PER_ELEMENT[dtype]);
  else backend.ctx.Cast(backend.id(out), backend.id(x), backend.code(x.dtype), backend.code(dtype), n);
  return out;
}

export function copy(backend: CudaBackend, { x }: KernelInputs<'Copy'>): TensorInfo {
  const out = backend.output(x.shape, x.dtype);
  backend.ctx.Copy(backend.id(out), backend.id(x), sizeOf(x.shape) * BYTES_PER_ELEMENT[x.dtype]);
  return out;
}

export function slice(backend: CudaBackend, { x }: KernelInputs<'Slice'>, { begin, size }: KernelAttrs<'Slice'>) {
  const out = backend.output(size, x.dtype);
  if (sizeOf(size) === 0) return out;
  const src = stridesOf(x.shape);
  const offset = begin.reduce((acc, b, d) => acc + b * src[d]!, 0);
  const { shape, strides } = mergeDims(size, [src, stridesOf(size)]);
  backend.ctx.Slice(
    backend.id(out),
    backend.id(x),
    BYTES_PER_ELEMENT[x.dtype],
    shape,
    strides[0]!,
    offset,
    strides[1]!,
    0,
  );
  return out;
}

export function transpose(backend: CudaBackend, { x }: KernelInputs<'Transpose'>, { perm }: KernelAttrs<'Transpose'>) {
  const outShape = perm.map((p) => x.shape[p]!);
  const out = backend.output(outShape, x.dtype);
  if (sizeOf(outShape) === 0) return out;
  const src = stridesOf(x.shape);
  const { shape, strides } = mergeDims(outShape, [perm.map((p) => src[p]!), stridesOf(outShape)]);
  backend.ctx.Transpose(
    backend.id(out),
    backend.id(x),
    BYTES_PER_ELEMENT[x.dtype],
    shape,
    strides[0]!,
    0,
    strides[1]!,
    0,
  );
  return out;
}

/** Pieces the addon's ConcatPieces takes in one launch (native/kernels/layout.cuh kMaxConcatPieces). */
const MAX_PIECES = 8;

export function concat(backend: CudaBackend, { xs }: KernelInputs<'Concat'>, attrs: KernelAttrs<'Concat'>): TensorInfo {
  const first = xs[0]!;
  const axis = attrs.axis < 0 ? attrs.axis + first.shape.length : attrs.axis;
  const outShape = [...first.shape];
  outShape[axis] = xs.reduce((acc, t) => acc + t.shape[axis]!, 0);
  for (const t of xs) {
    if (t.dtype !== first.dtype)
      throw new Error(`Concat: inputs must share one dtype, got ${first.dtype} and ${t.dtype}`);
  }
  const out = backend.output(outShape, first.dtype);
  const dst = stridesOf(outShape);
  // Each non-empty piece as a merged strided copy into its place; up to MAX_PIECES of them in one launch.
  const pieces: { id: number; shape: number[]; src: number[]; dst: number[]; offset: number }[] = [];
  let at = 0;
  for (const t of xs) {
    if (sizeOf(t.shape) > 0) {
      const { shape, strides } = mergeDims(t.shape, [stridesOf(t.shape), dst]);
      pieces.push({ id: backend.id(t), shape, src: strides[0]!, dst: strides[1]!, offset: at * dst[axis]! });
    }
    at += t.shape[axis]!;
  }
  const elemSize = BYTES_PER_ELEMENT[first.dtype];
  for (let k = 0; k < pieces.length; k += MAX_PIECES) {
    const group = pieces.slice(k, k + MAX_PIECES);
    if (group.length === 1) {
      const p = group[0]!;
      backend.ctx.Concat(backend.id(out), p.id, elemSize, p.shape, p.src, 0, p.dst, p.offset);
      continue;
    }
    backend.ctx.ConcatPieces(
      backend.id(out),
      elemSize,
      group.map((p) => p.id),
      group.map((p) => p.shape.length),
      group.flatMap((p) => p.shape),
      group.flatMap((p) => p.src),
      group.flatMap((p) => p.dst),
      group.map((p) => p.offset),
    );
  }
  return out;
}

/** The storage bits of `value` in `dtype`, rounded as the reference rounds (ints truncate and wrap, NaN → 0). */
export function fillBits(value: number, dtype: DType): number {
  switch (dtype) {
    case 'f32': {
      const f = new Float32Array([value]);
      return new Uint32Array(f.buffer)[0]!;
    }
    case 'bf16':
      return f32ToBf16Bits(value);
    case 'f16':
      return f32ToF16Bits(value);
    case 'i32':
      return (value | 0) >>> 0;
    case 'u8':
      return (value | 0) & 0xff;
    default:
      throw new Error(`Fill: the CUDA backend does not hold ${dtype} tensors`);
  }
}

export function fill(backend: CudaBackend, _inputs: KernelInputs<'Fill'>, attrs: KernelAttrs<'Fill'>): TensorInfo {
  const out = backend.output(attrs.shape, attrs.dtype);
  backend.ctx.Fill(
    backend.id(out),
    BYTES_PER_ELEMENT[attrs.dtype],
    sizeOf(attrs.shape),
    fillBits(attrs.value, attrs.dtype),
  );
  return out;
}

export function gather(backend: CudaBackend, { table, indices }: KernelInputs<'Gather'>): TensorInfo {
  requireI32('Gather', 'indices', indices);
  const [V, ...rest] = table.shape;
  const out = backend.output([...indices.shape, ...rest], table.dtype);
  backend.ctx.Gather(
    backend.id(out),
    backend.id(table),
    backend.id(indices),
    BYTES_PER_ELEMENT[table.dtype],
    sizeOf(indices.shape),
    sizeOf(rest),
    V!,
  );
  return out;
}

export function scatterAdd(
  backend: CudaBackend,
  { updates, indices }: KernelInputs<'ScatterAdd'>,
  { numRows }: KernelAttrs<'ScatterAdd'>,
): TensorInfo {
  requireI32('ScatterAdd', 'indices', indices);
  if (updates.dtype === 'u8') throw new Error('ScatterAdd: u8 updates are not supported');
  const rest = updates.shape.slice(indices.shape.length);
  const out = backend.output([numRows, ...rest], updates.dtype);
  backend.ctx.ScatterAdd(
    backend.id(out),
    backend.id(updates),
    backend.id(indices),
    backend.code(updates.dtype),
    sizeOf(indices.shape),
    sizeOf(rest),
    numRows,
  );
  return out;
}

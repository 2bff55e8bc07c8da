import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elementBytes } from '../dtype-codes.js';
import { normaliseAxis, sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Joins tensors of one dtype along `axis`: csrc/kernels/Concat.c */
export function concat(backend: WasmBackend, { xs }: KernelInputs<'Concat'>, attrs: KernelAttrs<'Concat'>): TensorInfo {
  if (xs.length === 0) throw new Error('Concat: no tensors to join');
  const first = xs[0]!;
  const axis = normaliseAxis(attrs.axis, first.shape.length);
  for (const x of xs) {
    if (x.dtype !== first.dtype)
      throw new Error(`Concat: tensors must share one dtype, got ${first.dtype} and ${x.dtype}`);
  }
  const shape = [...first.shape];
  shape[axis] = xs.reduce((total, x) => total + x.shape[axis]!, 0);
  const out = backend.allocate(shape, first.dtype);
  if (sizeOf(shape) === 0) return out.info;
  const es = elementBytes(first.dtype);
  const info = [xs.length, sizeOf(shape.slice(0, axis))];
  for (const x of xs) info.push(backend.ptr(x) | 0, sizeOf(x.shape.slice(axis)) * es);
  backend.m._Concat(out.ptr, backend.args(info));
  return out.info;
}

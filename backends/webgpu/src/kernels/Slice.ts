/** Slice: x[begin : begin+size] on every axis (a strided read). */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import { stridesOf } from '../shape.js';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { stridedCopy } from './strided.js';

export function slice(b: WebGPUBackend, { x }: UnaryInputs, { begin, size }: KernelAttrs<'Slice'>): TensorInfo {
  const out = b.output(size, x.dtype);
  const sx = stridesOf(x.shape);
  const base = begin.reduce((acc, v, d) => acc + v * sx[d]!, 0);
  stridedCopy(b, b.data(x), b.data(out), size, sx, stridesOf(size), base, 0);
  return out;
}

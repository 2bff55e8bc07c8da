/** Concat: each input written into its window of the output along `axis` (a strided write per input). */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { stridesOf } from '../shape.js';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { stridedCopy } from './strided.js';

export function concat(b: WebGPUBackend, { xs }: KernelInputs<'Concat'>, { axis }: KernelAttrs<'Concat'>): TensorInfo {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((acc, t) => acc + t.shape[axis]!, 0);
  const out = b.output(shape, xs[0]!.dtype);
  const so = stridesOf(shape);
  let offset = 0;
  for (const x of xs) {
    stridedCopy(b, b.data(x), b.data(out), x.shape, stridesOf(x.shape), so, 0, offset * so[axis]!);
    offset += x.shape[axis]!;
  }
  return out;
}

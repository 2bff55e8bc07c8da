/** Transpose: output dim d is input dim perm[d] (a strided read with permuted strides). */
import type { KernelAttrs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import { stridesOf } from '../shape.js';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { stridedCopy } from './strided.js';

export function transpose(b: WebGPUBackend, { x }: UnaryInputs, { perm }: KernelAttrs<'Transpose'>): TensorInfo {
  const shape = perm.map((p) => x.shape[p]!);
  const out = b.output(shape, x.dtype);
  const sx = stridesOf(x.shape);
  stridedCopy(
    b,
    b.data(x),
    b.data(out),
    shape,
    perm.map((p) => sx[p]!),
    stridesOf(shape),
    0,
    0,
  );
  return out;
}

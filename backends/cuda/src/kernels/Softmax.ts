/** Softmax / SoftmaxGrad over the last axis (native/kernels/softmax.cu). */
import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

function rowsOf(shape: readonly number[]): [number, number] {
  const D = shape.at(-1) ?? 1;
  return [D === 0 ? 0 : sizeOf(shape) / D, D];
}

export function softmax(backend: CudaBackend, { x }: KernelInputs<'Softmax'>): TensorInfo {
  const out = backend.output(x.shape, x.dtype);
  const [rows, D] = rowsOf(x.shape);
  backend.ctx.Softmax(backend.id(out), backend.id(x), backend.code(x.dtype), rows, D);
  return out;
}

export function softmaxGrad(backend: CudaBackend, { dy, y }: KernelInputs<'SoftmaxGrad'>): TensorInfo {
  const out = backend.output(y.shape, y.dtype);
  const [rows, D] = rowsOf(y.shape);
  backend.ctx.SoftmaxGrad(backend.id(out), backend.id(dy), backend.id(y), backend.code(y.dtype), rows, D);
  return out;
}

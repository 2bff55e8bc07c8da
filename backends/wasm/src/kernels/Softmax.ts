import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';
import { requireFloat } from './elementwise-factories.js';

function rows(shape: readonly number[]): [number, number] {
  const D = shape.at(-1) ?? 1;
  return [D === 0 ? 0 : sizeOf(shape) / D, D];
}

/** softmax over the last axis: csrc/kernels/Softmax.c */
export function softmax(backend: WasmBackend, { x }: KernelInputs<'Softmax'>): TensorInfo {
  requireFloat('Softmax', x);
  const out = backend.allocate(x.shape, x.dtype);
  const [R, D] = rows(x.shape);
  backend.m._Softmax(out.ptr, backend.ptr(x), R, D, dtypeCode(x.dtype));
  return out.info;
}

/** dx = y ⊙ (dy − Σ(dy ⊙ y)): csrc/kernels/Softmax.c */
export function softmaxGrad(backend: WasmBackend, { dy, y }: KernelInputs<'SoftmaxGrad'>): TensorInfo {
  const out = backend.allocate(y.shape, y.dtype);
  const [R, D] = rows(y.shape);
  backend.m._SoftmaxGrad(out.ptr, backend.ptr(dy), backend.ptr(y), R, D, dtypeCode(y.dtype));
  return out.info;
}

/**
 * Elementwise primitives (native/kernels/elementwise.cu): unary functions, broadcast binary arithmetic and
 * comparisons, Where, Scale, Clamp. Factories keep each kernel a one-liner in register-all-kernels.ts; the
 * broadcast layout is merged here so the device sees as few dimensions as possible.
 */
import type {
  BinaryKernelName,
  CompareKernelName,
  KernelAttrs,
  KernelInputs,
  TensorInfo,
  UnaryKernelName,
} from '@falcon-h1/core-tensor';
import { broadcastShapes, sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';
import { broadcastLayout } from '../strides.js';
import { requireFloat, requireSame } from './checks.js';

export function unaryKernel(name: UnaryKernelName) {
  const intOk = name === 'Neg' || name === 'Abs';
  return (backend: CudaBackend, { x }: KernelInputs<UnaryKernelName>): TensorInfo => {
    if (!(intOk && x.dtype === 'i32')) requireFloat(name, x);
    const out = backend.output(x.shape, x.dtype);
    backend.ctx[name](backend.id(out), backend.id(x), backend.code(x.dtype), sizeOf(x.shape));
    return out;
  };
}

export function binaryKernel(name: BinaryKernelName) {
  return (backend: CudaBackend, { a, b }: KernelInputs<BinaryKernelName>): TensorInfo => {
    requireSame(name, a, b);
    const shape = broadcastShapes(a.shape, b.shape);
    const out = backend.output(shape, a.dtype);
    const { shape: dims, strides } = broadcastLayout(shape, [a.shape, b.shape]);
    backend.ctx[name](
      backend.id(out),
      backend.id(a),
      backend.id(b),
      backend.code(a.dtype),
      sizeOf(shape),
      dims,
      strides[0]!,
      strides[1]!,
    );
    return out;
  };
}

export function compareKernel(name: CompareKernelName) {
  return (backend: CudaBackend, { a, b }: KernelInputs<CompareKernelName>): TensorInfo => {
    requireSame(name, a, b);
    const shape = broadcastShapes(a.shape, b.shape);
    const out = backend.output(shape, 'u8');
    const { shape: dims, strides } = broadcastLayout(shape, [a.shape, b.shape]);
    backend.ctx[name](
      backend.id(out),
      backend.id(a),
      backend.id(b),
      backend.code(a.dtype),
      sizeOf(shape),
      dims,
      strides[0]!,
      strides[1]!,
    );
    return out;
  };
}

export function where(backend: CudaBackend, { condition, a, b }: KernelInputs<'Where'>): TensorInfo {
  if (condition.dtype !== 'u8') throw new Error(`Where: condition must be u8, got ${condition.dtype}`);
  requireSame('Where', a, b);
  const shape = broadcastShapes(broadcastShapes(condition.shape, a.shape), b.shape);
  const out = backend.output(shape, a.dtype);
  const { shape: dims, strides } = broadcastLayout(shape, [condition.shape, a.shape, b.shape]);
  backend.ctx.Where(
    backend.id(out),
    backend.id(condition),
    backend.id(a),
    backend.id(b),
    backend.code(a.dtype),
    sizeOf(shape),
    dims,
    strides[0]!,
    strides[1]!,
    strides[2]!,
  );
  return out;
}

export function scale(backend: CudaBackend, { x }: KernelInputs<'Scale'>, attrs: KernelAttrs<'Scale'>): TensorInfo {
  requireFloat('Scale', x);
  const out = backend.output(x.shape, x.dtype);
  backend.ctx.Scale(backend.id(out), backend.id(x), backend.code(x.dtype), sizeOf(x.shape), attrs.scale, attrs.shift);
  return out;
}

export function clamp(backend: CudaBackend, { x }: KernelInputs<'Clamp'>, attrs: KernelAttrs<'Clamp'>): TensorInfo {
  requireFloat('Clamp', x);
  const out = backend.output(x.shape, x.dtype);
  backend.ctx.Clamp(backend.id(out), backend.id(x), backend.code(x.dtype), sizeOf(x.shape), attrs.min, attrs.max);
  return out;
}

/** Reductions and scans (native/kernels/reduce.cu): Sum, Mean, Max, ArgMax, CumSum. */
import type { KernelAttrs, KernelInputs, ReduceKernelName, TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';
import { reduceLayout, splitAtAxis } from '../strides.js';

function requireNumeric(kernel: string, x: TensorInfo): void {
  if (x.dtype === 'u8') throw new Error(`${kernel}: u8 tensors are not reduced on the CUDA backend`);
}

export function reduceKernel(name: ReduceKernelName) {
  return (backend: CudaBackend, { x }: KernelInputs<ReduceKernelName>, attrs: KernelAttrs<ReduceKernelName>) => {
    requireNumeric(name, x);
    const axes = attrs.axes.map((a) => (a < 0 ? a + x.shape.length : a));
    const outShape = attrs.keepDims
      ? x.shape.map((d, axis) => (axes.includes(axis) ? 1 : d))
      : x.shape.filter((_, axis) => !axes.includes(axis));
    const out = backend.output(outShape, x.dtype);
    const { outCount, kept, redCount, red } = reduceLayout(x.shape, axes);
    backend.ctx[name](
      backend.id(out),
      backend.id(x),
      backend.code(x.dtype),
      outCount,
      kept.shape,
      kept.strides[0]!,
      redCount,
      red.shape,
      red.strides[0]!,
    );
    return out;
  };
}

export function argMax(backend: CudaBackend, { x }: KernelInputs<'ArgMax'>, attrs: KernelAttrs<'ArgMax'>): TensorInfo {
  requireNumeric('ArgMax', x);
  const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
  const [outer, n, inner] = splitAtAxis(x.shape, axis);
  if (n === 0) throw new Error('ArgMax: the reduced axis is empty');
  const out = backend.output(
    x.shape.filter((_, d) => d !== axis),
    'i32',
  );
  backend.ctx.ArgMax(backend.id(out), backend.id(x), backend.code(x.dtype), outer, n, inner);
  return out;
}

export function cumSum(backend: CudaBackend, { x }: KernelInputs<'CumSum'>, attrs: KernelAttrs<'CumSum'>): TensorInfo {
  requireNumeric('CumSum', x);
  const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
  const [outer, n, inner] = splitAtAxis(x.shape, axis);
  const out = backend.output(x.shape, x.dtype);
  backend.ctx.CumSum(
    backend.id(out),
    backend.id(x),
    backend.code(x.dtype),
    outer,
    n,
    inner,
    attrs.exclusive,
    attrs.reverse,
  );
  return out;
}

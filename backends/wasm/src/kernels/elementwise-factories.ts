/**
 * Factories for the one-line kernels (as tfjs-backend-cpu): unary, binary and compare kernels differ only in the
 * C function they call. Each kernel file (Exp.ts, Add.ts, Less.ts, ...) is a single call to one of these.
 */
import type { BinaryKernelName, CompareKernelName, TensorInfo, UnaryKernelName } from '@falcon-h1/core-tensor';
import { dtypeCode, isFloat } from '../dtype-codes.js';
import { broadcastInfo, broadcastShapes, sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';
import type { WasmKernel } from '../wasm-kernel.js';
import type { FalconWasmModule } from '../wasm-module.js';

type UnaryC = (y: number, x: number, n: number, dtype: number) => void;
type BinaryC = (y: number, a: number, b: number, info: number, dtype: number) => void;

export function requireFloat(kernel: string, x: TensorInfo): void {
  if (!isFloat(x.dtype)) throw new Error(`${kernel}: expected a float tensor, got ${x.dtype}`);
}

export function requireSameDType(kernel: string, a: TensorInfo, b: TensorInfo): void {
  if (a.dtype !== b.dtype) throw new Error(`${kernel}: inputs must share one dtype, got ${a.dtype} and ${b.dtype}`);
}

/** y = f(x) elementwise; float dtypes, and i32 when `acceptsI32` (Neg, Abs). */
export function unaryKernel<K extends UnaryKernelName>(
  name: K,
  fn: (m: FalconWasmModule) => UnaryC,
  acceptsI32 = false,
): WasmKernel<K> {
  return (backend, { x }) => {
    if (!(acceptsI32 && x.dtype === 'i32')) requireFloat(name, x);
    const out = backend.allocate(x.shape, x.dtype);
    fn(backend.m).call(backend.m, out.ptr, backend.ptr(x), sizeOf(x.shape), dtypeCode(x.dtype));
    return out.info;
  };
}

function broadcastCall(backend: WasmBackend, fn: BinaryC, a: TensorInfo, b: TensorInfo, outDType: TensorInfo['dtype']) {
  const shape = broadcastShapes(a.shape, b.shape);
  const out = backend.allocate(shape, outDType);
  if (sizeOf(shape) > 0) {
    const info = backend.args(broadcastInfo(shape, [a.shape, b.shape]));
    fn.call(backend.m, out.ptr, backend.ptr(a), backend.ptr(b), info, dtypeCode(a.dtype));
  }
  return out.info;
}

/** y = f(a, b) over the broadcast shape: float (compute form) or i32. */
export function binaryKernel<K extends BinaryKernelName>(name: K, fn: (m: FalconWasmModule) => BinaryC): WasmKernel<K> {
  return (backend, { a, b }) => {
    requireSameDType(name, a, b);
    if (a.dtype === 'u8') throw new Error(`${name}: u8 arithmetic is not supported (cast to i32 or a float first)`);
    return broadcastCall(backend, fn(backend.m), a, b, a.dtype);
  };
}

/** y (u8) = pred(a, b) over the broadcast shape; float, i32 or u8 inputs. */
export function compareKernel<K extends CompareKernelName>(
  name: K,
  fn: (m: FalconWasmModule) => BinaryC,
): WasmKernel<K> {
  return (backend, { a, b }) => {
    requireSameDType(name, a, b);
    return broadcastCall(backend, fn(backend.m), a, b, 'u8');
  };
}

import type { KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elementBytes } from '../dtype-codes.js';
import { broadcastInfo, broadcastShapes, sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** y = condition ? a : b, all three broadcast; condition u8: csrc/kernels/Where.c */
export function where(backend: WasmBackend, { condition, a, b }: KernelInputs<'Where'>): TensorInfo {
  if (condition.dtype !== 'u8') throw new Error(`Where: condition must be u8, got ${condition.dtype}`);
  if (a.dtype !== b.dtype) throw new Error(`Where: a and b must share one dtype, got ${a.dtype} and ${b.dtype}`);
  const shape = broadcastShapes(condition.shape, a.shape, b.shape);
  const out = backend.allocate(shape, a.dtype);
  if (sizeOf(shape) > 0) {
    const info = backend.args(broadcastInfo(shape, [condition.shape, a.shape, b.shape]));
    backend.m._Where(out.ptr, backend.ptr(condition), backend.ptr(a), backend.ptr(b), info, elementBytes(a.dtype));
  }
  return out.info;
}

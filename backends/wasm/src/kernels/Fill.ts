import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** A new tensor of `shape` filled with `value` rounded to `dtype`: csrc/kernels/Fill.c */
export function fill(
  backend: WasmBackend,
  _inputs: KernelInputs<'Fill'>,
  { shape, dtype, value }: KernelAttrs<'Fill'>,
): TensorInfo {
  const out = backend.allocate(shape, dtype);
  backend.m._Fill(out.ptr, sizeOf(shape), value, dtypeCode(dtype));
  return out.info;
}

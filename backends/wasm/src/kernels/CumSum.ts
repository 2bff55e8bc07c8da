import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { normaliseAxis, splitAtAxis } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Prefix sums along `axis` (f64 accumulation), inclusive/exclusive, forward/reverse: csrc/kernels/CumSum.c */
export function cumSum(backend: WasmBackend, { x }: KernelInputs<'CumSum'>, attrs: KernelAttrs<'CumSum'>): TensorInfo {
  if (x.dtype === 'u8') throw new Error('CumSum: u8 is not supported (cast to i32 first)');
  const [outer, n, inner] = splitAtAxis(x.shape, normaliseAxis(attrs.axis, x.shape.length));
  const out = backend.allocate(x.shape, x.dtype);
  backend.m._CumSum(
    out.ptr,
    backend.ptr(x),
    outer,
    n,
    inner,
    attrs.exclusive ? 1 : 0,
    attrs.reverse ? 1 : 0,
    dtypeCode(x.dtype),
  );
  return out.info;
}

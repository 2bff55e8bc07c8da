import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { normaliseAxis, splitAtAxis } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Index (i32) of the first maximum along `axis` (NaN counts as the maximum): csrc/kernels/ArgMax.c */
export function argMax(backend: WasmBackend, { x }: KernelInputs<'ArgMax'>, attrs: KernelAttrs<'ArgMax'>): TensorInfo {
  const axis = normaliseAxis(attrs.axis, x.shape.length);
  const [outer, n, inner] = splitAtAxis(x.shape, axis);
  if (n === 0) throw new Error('ArgMax: the reduced axis is empty');
  if (x.dtype === 'u8') throw new Error('ArgMax: u8 is not supported (cast to i32 first)');
  const out = backend.allocate(
    x.shape.filter((_, d) => d !== axis),
    'i32',
  );
  backend.m._ArgMax(out.ptr, backend.ptr(x), outer, n, inner, dtypeCode(x.dtype));
  return out.info;
}

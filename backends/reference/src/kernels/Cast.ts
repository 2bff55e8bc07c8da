import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BufferStore, NumberArray } from '../buffer-store.js';

/**
 * Converts to `dtype`:
 *  - float → float: round to nearest even (roundToDType: an f64 value reaches f16/bf16 through f32, as in
 *    PyTorch's c10::Half/BFloat16 constructors);
 *  - float → i32/u8/i64: truncate toward zero, then wrap (u8 modulo 256, i32 modulo 2^32); NaN/±Inf → 0;
 *  - int → float: exact where representable, else rounded to nearest;
 *  - i64 → i32/u8: the low 32/8 bits.
 */
export function cast(store: BufferStore, { x }: KernelInputs<'Cast'>, { dtype }: KernelAttrs<'Cast'>): TensorInfo {
  const values = store.values(x);
  if (dtype === x.dtype) return store.adopt(values.slice(), x.shape, dtype);
  if (x.dtype === 'i64') {
    const big = values as BigInt64Array;
    if (dtype === 'i32')
      return store.adopt(
        Int32Array.from(big, (v) => Number(BigInt.asIntN(32, v))),
        x.shape,
        dtype,
      );
    if (dtype === 'u8')
      return store.adopt(
        Uint8Array.from(big, (v) => Number(BigInt.asUintN(8, v))),
        x.shape,
        dtype,
      );
    return store.output(Float64Array.from(big, Number), x.shape, dtype);
  }
  return store.output(Float64Array.from(values as NumberArray), x.shape, dtype);
}

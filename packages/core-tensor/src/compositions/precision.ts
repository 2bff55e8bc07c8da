/**
 * The precision rule every composition follows: arithmetic in at least f32 (f64 stays f64; f32, f16 and bf16
 * compute in f32), one rounding back to the output dtype when the result is stored.
 */
import type { DType } from '../dtype.js';
import { cast } from '../ops/layout.js';
import type { Tensor } from '../tensor.js';

/** The dtype a composition computes in for inputs of `dtype`: f64 for f64, f32 otherwise. */
export function computeDType(dtype: DType): 'f64' | 'f32' {
  return dtype === 'f64' ? 'f64' : 'f32';
}

/** x in its compute dtype (x itself when it already is f32 or f64). */
export function widen(x: Tensor): Tensor {
  const dtype = computeDType(x.dtype);
  return x.dtype === dtype ? x : cast(x, dtype);
}

/** x rounded to `dtype` (x itself when it already has it). */
export function narrow(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : cast(x, dtype);
}

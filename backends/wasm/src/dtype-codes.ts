/**
 * dtypes as the C side knows them (csrc/fh.h): float codes double as "round the output to" codes.
 * Float tensors of every float dtype are stored in compute form (f32 values representable in their dtype).
 */
import type { DType } from '@falcon-h1/core-tensor';

export const F32 = 0;
export const BF16 = 1;
export const F16 = 2;
export const I32 = 3;
export const U8 = 4;

/** The dtypes this backend stores (f64 and i64 are not supported: the suite and the apps see that in capabilities). */
export const WASM_DTYPES: readonly DType[] = ['f32', 'bf16', 'f16', 'i32', 'u8'];

export function dtypeCode(dtype: DType): number {
  switch (dtype) {
    case 'f32':
      return F32;
    case 'bf16':
      return BF16;
    case 'f16':
      return F16;
    case 'i32':
      return I32;
    case 'u8':
      return U8;
    default:
      throw new Error(`the wasm backend does not support dtype ${dtype} (it stores ${WASM_DTYPES.join(', ')})`);
  }
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'f32' || dtype === 'bf16' || dtype === 'f16';
}

/** Bytes per element in the heap: 4 for every float (compute form) and i32, 1 for u8. */
export function elementBytes(dtype: DType): number {
  return dtype === 'u8' ? 1 : 4;
}

/**
 * Data types.
 *
 * Floating dtypes: `f64` (the reference backend's oracle precision; other backends need not support it),
 * `f32`, and the two 16-bit storage formats `f16` and `bf16`. Integer dtypes: `i32` (token ids, document ids,
 * positions), `u8` (booleans from comparisons, and bytes), `i64` (only so checkpoints that store int64 load).
 *
 * Storage form: what crosses the Backend boundary (`Backend.write`/`Backend.read`). 16-bit floats travel as
 * their raw bits in a Uint16Array; the user-facing `Tensor.data()` widens them to Float32Array losslessly.
 */
export type DType = 'f64' | 'f32' | 'f16' | 'bf16' | 'i32' | 'u8' | 'i64';

export const DTYPES: readonly DType[] = ['f64', 'f32', 'f16', 'bf16', 'i32', 'u8', 'i64'];

export type FloatDType = 'f64' | 'f32' | 'f16' | 'bf16';

/** The typed array that holds a dtype's storage form. */
export interface StorageArrayMap {
  f64: Float64Array;
  f32: Float32Array;
  f16: Uint16Array;
  bf16: Uint16Array;
  i32: Int32Array;
  u8: Uint8Array;
  i64: BigInt64Array;
}
export type StorageArray = StorageArrayMap[DType];

/** The typed array `Tensor.data()` returns for a dtype (16-bit floats are widened to f32). */
export interface ValueArrayMap {
  f64: Float64Array;
  f32: Float32Array;
  f16: Float32Array;
  bf16: Float32Array;
  i32: Int32Array;
  u8: Uint8Array;
  i64: BigInt64Array;
}
export type ValueArray = ValueArrayMap[DType];

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  f64: 8,
  f32: 4,
  f16: 2,
  bf16: 2,
  i32: 4,
  u8: 1,
  i64: 8,
};

export function isFloatDType(dtype: DType): dtype is FloatDType {
  return dtype === 'f64' || dtype === 'f32' || dtype === 'f16' || dtype === 'bf16';
}

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

/** Allocates a zeroed storage array of `size` elements for `dtype`. */
export function allocStorage<D extends DType>(dtype: D, size: number): StorageArrayMap[D] {
  switch (dtype) {
    case 'f64':
      return new Float64Array(size) as StorageArrayMap[D];
    case 'f32':
      return new Float32Array(size) as StorageArrayMap[D];
    case 'f16':
    case 'bf16':
      return new Uint16Array(size) as StorageArrayMap[D];
    case 'i32':
      return new Int32Array(size) as StorageArrayMap[D];
    case 'u8':
      return new Uint8Array(size) as StorageArrayMap[D];
    case 'i64':
      return new BigInt64Array(size) as StorageArrayMap[D];
    default:
      throw new Error(`unknown dtype '${String(dtype)}'`);
  }
}

/**
 * The reference backend's memory: a Map from DataId to a buffer holding the tensor's values in *compute form*.
 *
 * Compute form (inside this backend only):
 *  - every float dtype (f64, f32, f16, bf16): a Float64Array whose values are exactly representable in the dtype.
 *    16-bit bits are decoded on `write`; kernels compute in f64 and round each stored element once (`output`).
 *  - i32: Int32Array, u8: Uint8Array, i64: BigInt64Array.
 * Storage form (what crosses the Backend boundary, dtype.ts) is produced only by `read`, as a fresh copy.
 *
 * Memory rules: `write` copies its input; `read` returns a copy; kernels never mutate an input buffer (AdamW
 * excepted, which updates param/m/v in place); each DataId is freed exactly once, and a second free throws.
 */
import type { DataId, DType, StorageArray, TensorInfo } from '@falcon-h1/core-tensor';
import {
  allocStorage,
  BYTES_PER_ELEMENT,
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  isFloatDType,
  roundToDType,
} from '@falcon-h1/core-tensor';
import { sizeOf } from './shape.js';

/** Values of one buffer in compute form. */
export type ComputeArray = Float64Array | Int32Array | Uint8Array | BigInt64Array;
/** Compute form of the dtypes that hold plain numbers (everything but i64). */
export type NumberArray = Float64Array | Int32Array | Uint8Array;
/** A compute-form array seen element by element, for kernels that only move elements (any dtype, i64 too). */
export interface ElementArray {
  [index: number]: number | bigint;
  readonly length: number;
}

/** The reference backend's DataId: a small handle object, the key of its buffer. */
export interface ReferenceDataId {
  readonly id: number;
}

interface StoredBuffer {
  readonly dtype: DType;
  readonly values: ComputeArray;
}

/** The typed array that carries each dtype's storage form across `write` (subclasses, e.g. Buffer, accepted). */
const STORAGE_CLASS: Record<DType, { readonly name: string; [Symbol.hasInstance](value: unknown): boolean }> = {
  f64: Float64Array,
  f32: Float32Array,
  f16: Uint16Array,
  bf16: Uint16Array,
  i32: Int32Array,
  u8: Uint8Array,
  i64: BigInt64Array,
};

/** A zeroed compute-form array of `size` elements for `dtype`. */
export function allocCompute(dtype: DType, size: number): ComputeArray {
  if (isFloatDType(dtype)) return new Float64Array(size);
  if (dtype === 'i32') return new Int32Array(size);
  if (dtype === 'u8') return new Uint8Array(size);
  return new BigInt64Array(size);
}

/**
 * Converts f64-computed results to `dtype`'s compute form: floats are rounded to the dtype (in place: the array
 * is taken over), i32/u8 truncate toward zero and wrap like a typed-array store (NaN → 0), i64 truncates and
 * wraps modulo 2^64 (non-finite → 0).
 */
export function fromF64(values: Float64Array, dtype: DType): ComputeArray {
  if (isFloatDType(dtype)) {
    if (dtype !== 'f64') for (let i = 0; i < values.length; i++) values[i] = roundToDType(values[i], dtype);
    return values;
  }
  if (dtype === 'i32') return Int32Array.from(values);
  if (dtype === 'u8') return Uint8Array.from(values);
  return BigInt64Array.from(values, (v) => (Number.isFinite(v) ? BigInt.asIntN(64, BigInt(Math.trunc(v))) : 0n));
}

export class BufferStore {
  private readonly buffers = new Map<DataId, StoredBuffer>();
  /** Every DataId ever handed out, to tell a double free from a foreign handle. */
  private readonly issued = new WeakSet<DataId>();
  private nextId = 1;

  /** Creates a buffer from values in storage form (copied) for a tensor of `shape`/`dtype`. */
  write(values: StorageArray, shape: readonly number[], dtype: DType): DataId {
    const size = sizeOf(shape);
    if (!(values instanceof STORAGE_CLASS[dtype])) {
      throw new Error(
        `write: a ${dtype} tensor takes a ${STORAGE_CLASS[dtype].name}, got a ${values.constructor.name}`,
      );
    }
    if (values.length !== size) {
      throw new Error(`write: shape [${shape.join(', ')}] has ${size} elements but ${values.length} values were given`);
    }
    let compute: ComputeArray;
    if (dtype === 'f16') compute = Float64Array.from(values as Uint16Array, f16BitsToF32);
    else if (dtype === 'bf16') compute = Float64Array.from(values as Uint16Array, bf16BitsToF32);
    else if (dtype === 'f32' || dtype === 'f64') compute = Float64Array.from(values as Float32Array | Float64Array);
    else compute = (values as Int32Array | Uint8Array | BigInt64Array).slice();
    return this.register(compute, dtype);
  }

  /** The buffer's values in storage form (dtype.ts), as a fresh copy. */
  read(info: TensorInfo): StorageArray {
    const values = this.values(info);
    const { dtype } = info;
    if (!isFloatDType(dtype)) return (values as Int32Array | Uint8Array | BigInt64Array).slice();
    const floats = values as Float64Array;
    if (dtype === 'f64') return floats.slice();
    const out = allocStorage(dtype, floats.length);
    const encode = dtype === 'f16' ? f32ToF16Bits : dtype === 'bf16' ? f32ToBf16Bits : (v: number) => v;
    for (let i = 0; i < floats.length; i++) out[i] = encode(floats[i]);
    return out;
  }

  dispose(dataId: DataId): void {
    if (this.buffers.delete(dataId)) return;
    const id = (dataId as Partial<ReferenceDataId>).id;
    if (this.issued.has(dataId)) throw new Error(`disposeData: buffer #${id} was already disposed (double free)`);
    throw new Error('disposeData: unknown DataId (not created by this reference backend)');
  }

  disposeAll(): void {
    this.buffers.clear();
  }

  memory(): { buffers: number; bytes: number } {
    let bytes = 0;
    for (const { dtype, values } of this.buffers.values()) bytes += values.length * BYTES_PER_ELEMENT[dtype];
    return { buffers: this.buffers.size, bytes };
  }

  /** The compute-form values behind `info` (not a copy: kernels must not write to it, AdamW excepted). */
  values(info: TensorInfo): ComputeArray {
    const buffer = this.buffers.get(info.dataId);
    if (buffer === undefined) {
      const id = (info.dataId as Partial<ReferenceDataId>).id;
      throw new Error(`buffer #${id ?? '?'} is not alive in the reference backend (disposed or foreign)`);
    }
    if (buffer.dtype !== info.dtype) {
      throw new Error(`tensor says dtype ${info.dtype} but its buffer holds ${buffer.dtype}`);
    }
    if (buffer.values.length !== sizeOf(info.shape)) {
      throw new Error(`tensor shape [${info.shape.join(', ')}] does not match its buffer of ${buffer.values.length}`);
    }
    return buffer.values;
  }

  /** Values of a float tensor (f64/f32/f16/bf16), as f64. */
  floats(info: TensorInfo): Float64Array {
    if (!isFloatDType(info.dtype)) throw new Error(`expected a float tensor, got ${info.dtype}`);
    return this.values(info) as Float64Array;
  }

  /** Values of an i32 tensor (ids, labels, document ids, positions). */
  ints(info: TensorInfo): Int32Array {
    if (info.dtype !== 'i32') throw new Error(`expected an i32 tensor, got ${info.dtype}`);
    return this.values(info) as Int32Array;
  }

  /** Values of any dtype that holds plain numbers (float, i32, u8); i64 is storage-only here. */
  numbers(info: TensorInfo): NumberArray {
    if (info.dtype === 'i64') {
      throw new Error('i64 tensors only support Copy, Cast, Slice, Concat, Transpose, Gather, Where and Fill here');
    }
    return this.values(info) as NumberArray;
  }

  /** Stores f64-computed results as a new tensor of `dtype` (rounded once per element; see `fromF64`). */
  output(values: Float64Array, shape: readonly number[], dtype: DType): TensorInfo {
    return this.adopt(fromF64(values, dtype), shape, dtype);
  }

  /** Stores values already in `dtype`'s compute form as a new tensor (takes the array over). */
  adopt(values: ComputeArray, shape: readonly number[], dtype: DType): TensorInfo {
    if (values.length !== sizeOf(shape)) {
      throw new Error(`internal: ${values.length} values for shape [${shape.join(', ')}]`);
    }
    return { dataId: this.register(values, dtype), shape: [...shape], dtype };
  }

  private register(values: ComputeArray, dtype: DType): DataId {
    const dataId: ReferenceDataId = { id: this.nextId++ };
    this.buffers.set(dataId, { dtype, values });
    this.issued.add(dataId);
    return dataId;
  }
}

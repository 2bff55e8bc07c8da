/**
 * Creating tensors from host values and constants.
 */
import { getBackend } from '../backend-registry.js';
import { allocStorage, type DType, type StorageArray } from '../dtype.js';
import { ENGINE } from '../engine.js';
import { f32ArrayToBf16, f32ArrayToF16 } from '../half.js';
import type { Backend } from '../kernel-contract.js';
import { assertValidShape, sizeOf } from '../shape-rules.js';
import type { Tensor } from '../tensor.js';

export type HostValues = ArrayLike<number> | ArrayLike<bigint>;

/** Converts host numbers to the storage form of `dtype` (f16/bf16 round to nearest even). */
export function toStorage(values: HostValues, dtype: DType): StorageArray {
  const n = values.length;
  switch (dtype) {
    case 'bf16':
      return f32ArrayToBf16(values as ArrayLike<number>);
    case 'f16':
      return f32ArrayToF16(values as ArrayLike<number>);
    case 'i64': {
      const out = allocStorage('i64', n);
      for (let i = 0; i < n; i++) out[i] = BigInt(values[i] as number | bigint);
      return out;
    }
    default: {
      const out = allocStorage(dtype, n);
      for (let i = 0; i < n; i++) (out as Float64Array)[i] = Number(values[i]);
      return out;
    }
  }
}

/**
 * A tensor from host values (row-major). `values` are numbers (or bigints for i64); 16-bit floats round to
 * nearest even. Defaults: shape [values.length], dtype f32, the current backend.
 */
export function tensor(
  values: HostValues,
  shape: readonly number[] = [values.length],
  dtype: DType = 'f32',
  backend: Backend = getBackend(),
): Tensor {
  assertValidShape(shape);
  if (values.length !== sizeOf(shape)) {
    throw new Error(`tensor(): shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, got ${values.length}`);
  }
  return ENGINE.fromStorage(toStorage(values, dtype), shape, dtype, backend);
}

/** A tensor from a storage-form array (16-bit floats as raw bits), without conversion. */
export function tensorFromStorage(
  storage: StorageArray,
  shape: readonly number[],
  dtype: DType,
  backend: Backend = getBackend(),
): Tensor {
  assertValidShape(shape);
  return ENGINE.fromStorage(storage, shape, dtype, backend);
}

export function scalar(value: number, dtype: DType = 'f32', backend?: Backend): Tensor {
  return tensor([value], [], dtype, backend);
}

export function fill(shape: readonly number[], value: number, dtype: DType = 'f32', backend?: Backend): Tensor {
  assertValidShape(shape);
  return ENGINE.runKernel('Fill', {}, { shape: [...shape], dtype, value }, backend);
}

export function zeros(shape: readonly number[], dtype: DType = 'f32', backend?: Backend): Tensor {
  return fill(shape, 0, dtype, backend);
}

export function ones(shape: readonly number[], dtype: DType = 'f32', backend?: Backend): Tensor {
  return fill(shape, 1, dtype, backend);
}

/** [start, start+1, …, stop−1] as i32 (or another dtype), built on the host. */
export function arange(start: number, stop: number, dtype: DType = 'i32', backend?: Backend): Tensor {
  const n = Math.max(0, stop - start);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = start + i;
  return tensor(values, [n], dtype, backend);
}

/** Copies a tensor to another backend (through host memory). */
export async function toBackend(source: Tensor, backend: Backend): Promise<Tensor> {
  const storage = await source.backend.read(source);
  return ENGINE.fromStorage(storage, source.shape, source.dtype, backend);
}

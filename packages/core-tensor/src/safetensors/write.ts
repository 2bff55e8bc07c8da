/**
 * safetensors writer: `serializeSafetensors` lays tensors out back to back (no gaps, as the reference
 * implementation requires) after a JSON header padded with spaces to a multiple of 8 bytes.
 *
 * Layout order: an array is written in the given order. A record is written in the reference implementation's
 * order: by the reference's dtype rank, highest first (I64, F64, F32, I32, BF16, F16, U8), then by name in
 * Unicode code-point order (= UTF-8 byte order, as Rust sorts strings). So a record with the same tensors and
 * metadata gives byte-for-byte the file the reference (Python `safetensors.save_file`) writes, and, as the data
 * section starts 8-byte aligned and sizes only decrease, every tensor is aligned for a zero-copy `storage()`
 * view. An array in an unlucky order (say an odd-length f16 before an f64) still round-trips, but `storage()`
 * of the misaligned tensor then copies.
 */

import type { DType, StorageArray } from '../dtype.js';
import { BYTES_PER_ELEMENT, isDType } from '../dtype.js';
import { assertLittleEndianHost, dtypeToSafetensors, SafetensorsError } from './format.js';

/** A tensor to write: its storage form (see `StorageArrayMap`) with `product(shape)` elements. */
export interface SafetensorsTensorData {
  dtype: DType;
  shape: readonly number[];
  data: StorageArray;
}

export interface SafetensorsTensorInput extends SafetensorsTensorData {
  name: string;
}

const STORAGE_TAG: Readonly<Record<DType, string>> = {
  f64: '[object Float64Array]',
  f32: '[object Float32Array]',
  f16: '[object Uint16Array]',
  bf16: '[object Uint16Array]',
  i32: '[object Int32Array]',
  u8: '[object Uint8Array]',
  i64: '[object BigInt64Array]',
};

function fail(message: string): never {
  throw new SafetensorsError(`safetensors write: ${message}`);
}

/** The shape of a tensor to write, without its data (what the header needs). */
export interface SafetensorsTensorInfo {
  dtype: DType;
  shape: readonly number[];
}

/** A tensor's place in a file laid out by `safetensorsLayout`: data bytes [begin, end) of the data section. */
export interface SafetensorsTensorPlacement extends SafetensorsTensorInfo {
  name: string;
  begin: number;
  end: number;
}

function validateInfo(tensor: SafetensorsTensorInfo & { name: string }): number {
  const { name, dtype, shape } = tensor;
  if (typeof name !== 'string') fail(`tensor name must be a string, got ${typeof name}`);
  if (name === '__metadata__') fail(`'__metadata__' is reserved and cannot be a tensor name`);
  const failTensor = (message: string): never => fail(`tensor '${name}': ${message}`);
  if (!isDType(dtype)) failTensor(`unknown dtype '${String(dtype)}'`);
  if (!Array.isArray(shape)) failTensor('shape must be an array of non-negative integers');
  let elements = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      failTensor(`shape [${shape.join(', ')}] must contain only non-negative integers`);
    }
    elements *= dim;
  }
  return elements;
}

/**
 * Checks that `data` is the storage form of `dtype` (see `StorageArrayMap`) with `product(shape)` elements; throws a
 * `SafetensorsError` naming the tensor otherwise.
 */
export function checkSafetensorsData(name: string, info: SafetensorsTensorInfo, data: StorageArray): void {
  const elements = validateInfo({ name, ...info });
  const failTensor = (message: string): never => fail(`tensor '${name}': ${message}`);
  const tag = Object.prototype.toString.call(data);
  if (tag !== STORAGE_TAG[info.dtype]) {
    failTensor(
      `data for dtype ${info.dtype} must be a ${STORAGE_TAG[info.dtype].slice(8, -1)}, got ${tag.slice(8, -1)}`,
    );
  }
  if (data.length !== elements) {
    failTensor(`data has ${data.length} elements but shape [${info.shape.join(', ')}] needs ${elements}`);
  }
}

function validateTensor(tensor: SafetensorsTensorInput): void {
  checkSafetensorsData(tensor.name, tensor, tensor.data);
}

function validateMetadata(metadata: Record<string, string>): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    fail('metadata must be an object of strings');
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') fail(`metadata value for key '${key}' must be a string, got ${typeof value}`);
  }
}

/** Rank of each dtype in the reference implementation's `Dtype` enum (only the relative order matters). */
const REFERENCE_DTYPE_RANK: Readonly<Record<DType, number>> = {
  u8: 0,
  f16: 1,
  bf16: 2,
  i32: 3,
  f32: 4,
  f64: 5,
  i64: 6,
};

/** Compares strings by Unicode code point, which is the UTF-8 byte order Rust's `String` ordering uses. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++; // both are the same astral character: skip its low surrogate
  }
  return a.length - b.length;
}

/** Orders a record's tensors as the reference implementation does: dtype rank descending, then name. */
function recordOrder<T extends SafetensorsTensorInfo>(
  record: Readonly<Record<string, T>>,
): Array<T & { name: string }> {
  const list = Object.entries(record).map(([name, t]) => ({ ...t, name }));
  return list.sort(
    (a, b) => REFERENCE_DTYPE_RANK[b.dtype] - REFERENCE_DTYPE_RANK[a.dtype] || compareCodePoints(a.name, b.name),
  );
}

/**
 * The tensors in file order: an array as given (names must be unique), a record in the reference implementation's
 * order (see the top of this file).
 */
export function safetensorsOrder<T extends SafetensorsTensorInfo>(
  tensors: ReadonlyArray<T & { name: string }> | Readonly<Record<string, T>>,
): Array<T & { name: string }> {
  if (!Array.isArray(tensors)) return recordOrder(tensors as Readonly<Record<string, T>>);
  const seen = new Set<string>();
  for (const t of tensors as ReadonlyArray<T & { name: string }>) {
    if (seen.has(t.name)) fail(`duplicate tensor name '${t.name}'`);
    seen.add(t.name);
  }
  return [...(tensors as ReadonlyArray<T & { name: string }>)];
}

/**
 * The layout of a file holding `ordered` (in that order, see `safetensorsOrder`): the bytes before the data section
 * (the 8-byte header length and the JSON header, padded with spaces to a multiple of 8), each tensor's data
 * offsets, and the data section's length. Only shapes are needed, so a writer can stream each tensor's data after
 * the header. Throws a `SafetensorsError` for an invalid name, dtype, shape or metadata.
 */
export function safetensorsLayout(
  ordered: ReadonlyArray<SafetensorsTensorInfo & { name: string }>,
  metadata?: Record<string, string>,
): { header: Uint8Array; tensors: SafetensorsTensorPlacement[]; dataBytes: number } {
  assertLittleEndianHost();
  if (metadata !== undefined) validateMetadata(metadata);
  // Build the header by hand so key order is exactly the layout order (JSON.stringify of an object would
  // move integer-like names first).
  const parts: string[] = [];
  if (metadata !== undefined) {
    const fields = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${fields.join(',')}}`);
  }
  const placed: SafetensorsTensorPlacement[] = [];
  let offset = 0;
  for (const t of ordered) {
    const begin = offset;
    offset += validateInfo(t) * BYTES_PER_ELEMENT[t.dtype];
    const dims = t.shape.join(',');
    parts.push(
      `${JSON.stringify(t.name)}:{"dtype":"${dtypeToSafetensors(t.dtype)}","shape":[${dims}],` +
        `"data_offsets":[${begin},${offset}]}`,
    );
    placed.push({ name: t.name, dtype: t.dtype, shape: t.shape, begin, end: offset });
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const header = new Uint8Array(8 + headerLength);
  const view = new DataView(header.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length); // space padding
  return { header, tensors: placed, dataBytes: offset };
}

/**
 * Serializes tensors to safetensors bytes. An array is laid out in the given order (names must be unique); a
 * record is laid out in the reference implementation's order (see the top of this file), which also keeps every
 * tensor aligned. `metadata` becomes `__metadata__`. Throws a `SafetensorsError` for invalid input.
 */
export function serializeSafetensors(
  tensors: readonly SafetensorsTensorInput[] | Readonly<Record<string, SafetensorsTensorData>>,
  metadata?: Record<string, string>,
): Uint8Array {
  assertLittleEndianHost();
  const ordered = safetensorsOrder<SafetensorsTensorData>(tensors);
  for (const t of ordered) validateTensor(t);
  const { header, dataBytes } = safetensorsLayout(ordered, metadata);
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header, 0);
  let position = header.length;
  for (const t of ordered) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), position);
    position += t.data.byteLength;
  }
  return out;
}

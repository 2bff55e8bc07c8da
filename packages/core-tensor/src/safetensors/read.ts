/**
 * safetensors reader: `parseSafetensors` validates a whole file held in memory and returns lazy, zero-copy
 * accessors for each tensor. Every offset is checked before any view is made, so no input can make it read
 * out of bounds; every failure is a `SafetensorsError` whose message names the file and the tensor.
 */

import type { DType, StorageArray, StorageArrayMap } from '../dtype.js';
import { BYTES_PER_ELEMENT } from '../dtype.js';
import { assertLittleEndianHost, dtypeFromSafetensors, errorPrefix, SafetensorsError } from './format.js';

/** Largest header accepted, as in the reference implementation. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a parsed file, for a known dtype. */
export interface SafetensorsEntryOf<D extends DType> {
  readonly name: string;
  readonly dtype: D;
  readonly shape: number[];
  /** Offset of the tensor's first byte from the start of the file bytes given to `parseSafetensors`. */
  readonly byteOffset: number;
  readonly byteLength: number;
  /** The tensor's raw little-endian bytes: a zero-copy view into the file bytes. */
  bytes(): Uint8Array;
  /**
   * The tensor's storage form (see `StorageArrayMap`): a zero-copy view into the file bytes when its offset is
   * a multiple of the element size (8 for i64/f64), otherwise a freshly allocated aligned copy. Writing into a
   * view writes into the file bytes. Each call makes a new view (or copy).
   */
  storage(): StorageArrayMap[D];
}

/** One tensor of a parsed file; narrowing on `dtype` narrows `storage()`. */
export type SafetensorsEntry = { [D in DType]: SafetensorsEntryOf<D> }[DType];

export interface SafetensorsFile {
  /** The `__metadata__` object of the header, if present (and not null). */
  metadata: Record<string, string> | undefined;
  /** Tensors in data-section order (ascending begin offset; ties keep header order). */
  tensors: Map<string, SafetensorsEntry>;
}

type RawEntry = SafetensorsHeaderEntry;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A short JSON rendering of a header value for error messages. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Makes a typed-array view of the storage form; the caller guarantees bounds and alignment. */
function makeView(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, length: number): StorageArray {
  switch (dtype) {
    case 'f64':
      return new Float64Array(buffer, byteOffset, length);
    case 'f32':
      return new Float32Array(buffer, byteOffset, length);
    case 'f16':
    case 'bf16':
      return new Uint16Array(buffer, byteOffset, length);
    case 'i32':
      return new Int32Array(buffer, byteOffset, length);
    case 'u8':
      return new Uint8Array(buffer, byteOffset, length);
    case 'i64':
      return new BigInt64Array(buffer, byteOffset, length);
  }
}

function makeEntry(raw: RawEntry, file: Uint8Array, fileOffset: number): SafetensorsEntry {
  const { name, dtype, shape } = raw;
  const byteLength = raw.end - raw.begin;
  const byteOffset = fileOffset + raw.begin;
  const elementBytes = BYTES_PER_ELEMENT[dtype];
  const length = byteLength / elementBytes;
  const bytes = (): Uint8Array => new Uint8Array(file.buffer, file.byteOffset + byteOffset, byteLength);
  const storage = (): StorageArray => {
    assertLittleEndianHost();
    const absolute = file.byteOffset + byteOffset;
    if (absolute % elementBytes === 0) return makeView(dtype, file.buffer, absolute, length);
    const copy = bytes().slice(); // a fresh ArrayBuffer starting at offset 0: aligned for every dtype
    return makeView(dtype, copy.buffer, 0, length);
  };
  // The mapped union cannot be built from a `DType`-typed value without a cast; `makeView` matches `dtype`.
  return { name, dtype, shape, byteOffset, byteLength, bytes, storage } as SafetensorsEntry;
}

function parseHeaderJson(headerBytes: Uint8Array, fail: (message: string) => never): Record<string, unknown> {
  if (headerBytes.length === 0 || headerBytes[0] !== 0x7b /* '{' */) {
    fail(`header must start with '{' (is this a safetensors file?)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail('header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isPlainObject(parsed)) fail('header JSON must be an object');
  return parsed;
}

function parseMetadata(value: unknown, fail: (message: string) => never): Record<string, string> | undefined {
  if (value === null) return undefined;
  if (!isPlainObject(value)) fail(`'__metadata__' must be an object of strings`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`'__metadata__' value for key '${key}' must be a string, got ${typeof v}`);
  }
  // Object.fromEntries defines own properties, so a '__proto__' key stays a plain key.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function parseEntry(
  name: string,
  value: unknown,
  dataLength: number,
  source: string | undefined,
  fail: (message: string) => never,
): RawEntry {
  const failTensor: (message: string) => never = (message) => fail(`tensor '${name}': ${message}`);
  if (!isPlainObject(value)) failTensor('entry must be an object with dtype, shape and data_offsets');
  if (!Object.hasOwn(value, 'dtype')) failTensor(`missing 'dtype'`);
  if (!Object.hasOwn(value, 'shape')) failTensor(`missing 'shape'`);
  if (!Object.hasOwn(value, 'data_offsets')) failTensor(`missing 'data_offsets'`);
  const { dtype: dtypeName, shape: rawShape, data_offsets: offsets } = value;

  if (typeof dtypeName !== 'string') failTensor(`'dtype' must be a string, got ${describe(dtypeName)}`);
  const dtype = dtypeFromSafetensors(dtypeName, name, source);

  if (!Array.isArray(rawShape)) failTensor(`'shape' must be an array of non-negative integers`);
  const dims: unknown[] = rawShape;
  const shape: number[] = [];
  let elements = 1;
  for (const dim of dims) {
    if (!isNonNegativeInteger(dim)) {
      failTensor(`'shape' must be an array of non-negative integers, got dimension ${describe(dim)}`);
    }
    shape.push(dim);
    elements *= dim;
  }

  if (!Array.isArray(offsets) || offsets.length !== 2) {
    failTensor(`'data_offsets' must be [begin, end], got ${describe(offsets)}`);
  }
  const pair: unknown[] = offsets;
  const [b, e] = pair;
  if (!isNonNegativeInteger(b) || !isNonNegativeInteger(e)) {
    failTensor(`'data_offsets' must be non-negative integers, got ${describe(offsets)}`);
  }
  if (b > e) failTensor(`'data_offsets' begin ${b} is after end ${e}`);
  if (e > dataLength) {
    failTensor(`data_offsets end ${e} is beyond the data section of ${dataLength} bytes (truncated file?)`);
  }
  const expected = elements * BYTES_PER_ELEMENT[dtype];
  if (e - b !== expected) {
    failTensor(
      `byte length ${e - b} from data_offsets does not match shape [${shape.join(', ')}] of ${dtypeName} ` +
        `(${Number.isSafeInteger(expected) ? expected : 'overflowing'} bytes expected)`,
    );
  }
  return { name, dtype, shape, begin: b, end: e };
}

/** One tensor of a parsed header: its data bytes are [begin, end) of the data section. */
export interface SafetensorsHeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and validates a safetensors header (the `headerLength` bytes after the 8-byte length field) for a data
 * section of `dataLength` bytes: every entry in bounds, sized for its shape and dtype, none overlapping. Entries
 * come in data-section order. Throws a `SafetensorsError` naming `source` and the tensor.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  dataLength: number,
  source?: string,
): { metadata: Record<string, string> | undefined; entries: SafetensorsHeaderEntry[] } {
  const prefix = errorPrefix(source);
  const fail: (message: string) => never = (message) => {
    throw new SafetensorsError(`${prefix}: ${message}`);
  };
  const header = parseHeaderJson(headerBytes, fail);
  let metadata: Record<string, string> | undefined;
  const raws: RawEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(value, fail);
    else raws.push(parseEntry(name, value, dataLength, source, fail));
  }

  // Array.prototype.sort is stable: equal begins keep header order.
  raws.sort((x, y) => x.begin - y.begin || x.end - y.end);
  let previous: RawEntry | undefined;
  for (const raw of raws) {
    if (raw.begin === raw.end) continue;
    if (previous !== undefined && raw.begin < previous.end) {
      fail(
        `tensors '${previous.name}' [${previous.begin}, ${previous.end}) and '${raw.name}' ` +
          `[${raw.begin}, ${raw.end}) overlap`,
      );
    }
    if (previous === undefined || raw.end > previous.end) previous = raw;
  }
  return { metadata, entries: raws };
}

/** The header length from a file's first 8 bytes, checked against the limit and the bytes that follow. */
export function safetensorsHeaderLength(first8: Uint8Array, fileLength: number, source?: string): number {
  const fail = (message: string): never => {
    throw new SafetensorsError(`${errorPrefix(source)}: ${message}`);
  };
  if (fileLength < 8) fail(`file is ${fileLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const headerLength = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    fail(`header length ${headerLength} exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit`);
  }
  if (headerLength > fileLength - 8) {
    fail(`header length ${headerLength} is larger than the ${fileLength - 8} bytes after the length field`);
  }
  return headerLength;
}

/**
 * Parses and validates a safetensors file held in memory. `source` (a path or name) is used in error messages.
 * Gaps between tensors and trailing bytes after the last tensor are tolerated; overlapping tensors are not
 * (empty tensors overlap nothing). The returned entries keep a reference to `bytes`.
 */
export function parseSafetensors(bytes: Uint8Array, source?: string): SafetensorsFile {
  const headerLength = safetensorsHeaderLength(bytes, bytes.length, source);
  const dataStart = 8 + headerLength;
  const { metadata, entries } = parseSafetensorsHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, source);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const raw of entries) tensors.set(raw.name, makeEntry(raw, bytes, dataStart));
  return { metadata, tensors };
}

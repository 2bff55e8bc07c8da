/**
 * safetensors format constants: the dtype names of the file format and their mapping to our `DType`,
 * the error class every safetensors failure is reported with, and the host byte-order check.
 *
 * The format: an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON (an object mapping tensor
 * names to `{dtype, shape, data_offsets: [begin, end]}`, plus an optional `__metadata__` object of strings),
 * then the data section. Offsets are relative to the start of the data section; data is little-endian.
 */
import type { DType } from '../dtype.js';

/** The safetensors dtype names this package reads (and, except `BOOL`, writes). */
export type SafetensorsDTypeName = 'F64' | 'F32' | 'F16' | 'BF16' | 'I32' | 'U8' | 'I64' | 'BOOL';

/** safetensors dtype name → our dtype. `BOOL` (one byte, 0 or 1) reads as `u8`. */
export const SAFETENSORS_TO_DTYPE: Readonly<Record<SafetensorsDTypeName, DType>> = {
  F64: 'f64',
  F32: 'f32',
  F16: 'f16',
  BF16: 'bf16',
  I32: 'i32',
  U8: 'u8',
  I64: 'i64',
  BOOL: 'u8',
};

/** Our dtype → the safetensors dtype name written for it. */
export const DTYPE_TO_SAFETENSORS: Readonly<Record<DType, SafetensorsDTypeName>> = {
  f64: 'F64',
  f32: 'F32',
  f16: 'F16',
  bf16: 'BF16',
  i32: 'I32',
  u8: 'U8',
  i64: 'I64',
};

/** Valid safetensors dtype names that have no `DType` here; recognised only to give a clear error. */
export const UNSUPPORTED_SAFETENSORS_DTYPES: readonly string[] = [
  'I8',
  'I16',
  'U16',
  'U32',
  'U64',
  'F8_E4M3',
  'F8_E5M2',
  'F8_E8M0',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'C64',
];

/** Thrown for every malformed file, unsupported dtype or bad writer input. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** Prefix naming the file (when known) that error messages start with. */
export function errorPrefix(source: string | undefined): string {
  return source === undefined ? 'safetensors' : `safetensors '${source}'`;
}

function isSupportedName(name: string): name is SafetensorsDTypeName {
  return Object.hasOwn(SAFETENSORS_TO_DTYPE, name);
}

/**
 * Maps a safetensors dtype name to our dtype. Throws a `SafetensorsError` naming the tensor (and file) for
 * valid-but-unsupported names (`unsupported dtype 'I8' for tensor 'x'`) and for unknown names.
 */
export function dtypeFromSafetensors(name: string, tensorName: string, source?: string): DType {
  if (isSupportedName(name)) return SAFETENSORS_TO_DTYPE[name];
  const kind = UNSUPPORTED_SAFETENSORS_DTYPES.includes(name) ? 'unsupported' : 'unknown';
  throw new SafetensorsError(`${errorPrefix(source)}: ${kind} dtype '${name}' for tensor '${tensorName}'`);
}

/** The safetensors dtype name written for one of our dtypes. */
export function dtypeToSafetensors(dtype: DType): SafetensorsDTypeName {
  if (!Object.hasOwn(DTYPE_TO_SAFETENSORS, dtype)) throw new SafetensorsError(`unknown dtype '${String(dtype)}'`);
  return DTYPE_TO_SAFETENSORS[dtype];
}

/** Whether typed arrays on this host are little-endian (safetensors data always is). */
export const HOST_IS_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Typed-array views of safetensors data are only meaningful on little-endian hosts. */
export function assertLittleEndianHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new SafetensorsError('safetensors: big-endian hosts are not supported (tensor data is little-endian)');
  }
}

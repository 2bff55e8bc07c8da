/**
 * Tests of the safetensors module: round trips for every dtype, zero-copy views, every validation error,
 * sharded checkpoint directories, the real golden fixtures, and a mutation fuzz test of the reader.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { DType, StorageArray } from '../src/dtype.js';
import { f16BitsToF32, f32ArrayToBf16, f32ArrayToF16 } from '../src/half.js';
import type { SafetensorsTensorInput } from '../src/safetensors/index.js';
import {
  DTYPE_TO_SAFETENSORS,
  dtypeFromSafetensors,
  loadSafetensorsFromDir,
  parseSafetensors,
  readSafetensorsIndex,
  SAFETENSORS_TO_DTYPE,
  SafetensorsError,
  serializeSafetensors,
} from '../src/safetensors/index.js';

const encoder = new TextEncoder();

/** Builds a file from a header (object or raw text) and a data section, with an optional forced length field. */
function rawFile(header: string | object, data: Uint8Array | number = 0, headerLength?: bigint): Uint8Array {
  const json = encoder.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function headerText(file: Uint8Array): string {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(file.subarray(8, 8 + n));
}

function entry(file: Uint8Array, name: string) {
  const e = parseSafetensors(file).tensors.get(name);
  if (e === undefined) throw new Error(`no tensor ${name}`);
  return e;
}

/** The elements of any storage array, for `toEqual` comparisons. */
function values(storage: StorageArray): Array<number | bigint> {
  const elements: ArrayLike<number | bigint> = storage;
  return Array.from(elements);
}

function sameBits(a: StorageArray, b: StorageArray): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('dtype names', () => {
  it('maps every DType both ways and BOOL to u8', () => {
    for (const [dtype, name] of Object.entries(DTYPE_TO_SAFETENSORS)) expect(SAFETENSORS_TO_DTYPE[name]).toBe(dtype);
    expect(dtypeFromSafetensors('BOOL', 'mask')).toBe('u8');
  });
  it('names unsupported and unknown dtypes and the tensor', () => {
    for (const name of ['I8', 'I16', 'U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2']) {
      expect(() => dtypeFromSafetensors(name, 'w', 'm.safetensors')).toThrow(
        new RegExp(`^safetensors 'm.safetensors': unsupported dtype '${name}' for tensor 'w'$`),
      );
    }
    expect(() => dtypeFromSafetensors('F33', 'w')).toThrow(/unknown dtype 'F33' for tensor 'w'/);
  });
});

describe('round trips', () => {
  const f64 = new Float64Array([Math.PI, -0, Number.POSITIVE_INFINITY, Number.NaN, 5e-324, -1.7976931348623157e308]);
  const f32 = new Float32Array([1.5, -0, Number.NEGATIVE_INFINITY, Number.NaN, 1e-45, 3.4028234663852886e38]);
  const f16 = new Uint16Array([0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x8000, 0x7bff, 0x3555]);
  const bf16 = f32ArrayToBf16([1, -2.5, 1.0009765625, 1e38, -1e-38, Number.NaN]);
  const i32 = new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -1, 42, 7]);
  const u8 = new Uint8Array([0, 1, 127, 128, 255]);
  const i64 = new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 123456789012345678n, 9n]);
  const cases: SafetensorsTensorInput[] = [
    { name: 'f64', dtype: 'f64', shape: [2, 3], data: f64 },
    { name: 'f32', dtype: 'f32', shape: [3, 1, 2], data: f32 },
    { name: 'f16', dtype: 'f16', shape: [8], data: f16 },
    { name: 'bf16', dtype: 'bf16', shape: [1, 6], data: bf16 },
    { name: 'i32', dtype: 'i32', shape: [6, 1], data: i32 },
    { name: 'u8', dtype: 'u8', shape: [5], data: u8 },
    { name: 'i64', dtype: 'i64', shape: [3, 2], data: i64 },
    { name: 'scalar', dtype: 'f32', shape: [], data: new Float32Array([2.5]) },
    { name: 'scalar64', dtype: 'i64', shape: [], data: new BigInt64Array([-5n]) },
    { name: 'empty', dtype: 'f32', shape: [0, 4], data: new Float32Array(0) },
    { name: 'empty64', dtype: 'f64', shape: [3, 0, 2], data: new Float64Array(0) },
    { name: 'odd', dtype: 'f16', shape: [3, 1, 5], data: f32ArrayToF16(Array.from({ length: 15 }, (_, i) => i / 7)) },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s (array, given order)', (_, input) => {
    const file = serializeSafetensors(cases);
    const e = entry(file, input.name);
    expect(e.dtype).toBe(input.dtype);
    expect(e.shape).toEqual(input.shape);
    expect(e.byteLength).toBe(input.data.byteLength);
    expect(sameBits(e.storage(), input.data)).toBe(true);
    expect(e.storage().constructor).toBe(input.data.constructor);
    expect(Array.from(e.bytes())).toEqual(
      Array.from(new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength)),
    );
  });

  it('keeps the exact bits of NaN payloads, -0, subnormals and 16-bit floats', () => {
    const file = serializeSafetensors(cases);
    const f64Back = entry(file, 'f64').storage() as Float64Array;
    expect(Object.is(f64Back[1], -0)).toBe(true);
    expect(f64Back[4]).toBe(5e-324);
    const f16Back = entry(file, 'f16').storage() as Uint16Array;
    expect(Array.from(f16Back)).toEqual(Array.from(f16));
    expect(f16BitsToF32(f16Back[7]!)).toBeCloseTo(1 / 3, 3);
    const bf = entry(file, 'bf16');
    if (bf.dtype !== 'bf16') throw new Error('expected bf16');
    expect(Array.from(bf.storage())).toEqual(Array.from(bf16)); // narrowed: storage() is a Uint16Array
    const i64Back = entry(file, 'i64').storage() as BigInt64Array;
    expect(i64Back[0]).toBe(-(2n ** 63n));
    expect(i64Back[4]).toBe(123456789012345678n);
    expect(values(entry(file, 'scalar').storage())).toEqual([2.5]);
    expect(entry(file, 'scalar').shape).toEqual([]);
    expect(entry(file, 'empty').storage().length).toBe(0);
    expect(entry(file, 'empty64').shape).toEqual([3, 0, 2]);
  });

  it('lays an array out in the given order and a record in the reference order', () => {
    const arrayFile = parseSafetensors(serializeSafetensors(cases));
    expect([...arrayFile.tensors.keys()]).toEqual(cases.map((c) => c.name));
    const record = Object.fromEntries(cases.map((c) => [c.name, { dtype: c.dtype, shape: c.shape, data: c.data }]));
    const recordBytes = serializeSafetensors(record);
    const recordFile = parseSafetensors(recordBytes);
    expect([...recordFile.tensors.keys()]).toEqual([
      'i64',
      'scalar64',
      'empty64',
      'f64',
      'empty',
      'f32',
      'scalar',
      'i32',
      'bf16',
      'f16',
      'odd',
      'u8',
    ]);
    // The reference order keeps every tensor aligned, so every storage() is a zero-copy view.
    for (const e of recordFile.tensors.values()) expect(e.storage().buffer).toBe(recordBytes.buffer);
  });

  it('writes metadata, pads the header with spaces to 8 bytes and lays data back to back', () => {
    const file = serializeSafetensors([{ name: 'a', dtype: 'u8', shape: [3], data: new Uint8Array([1, 2, 3]) }], {
      format: 'pt',
      note: 'ünïcødé "quoted"',
    });
    const text = headerText(file);
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt","note":"ünïcødé \\"quoted\\""},' +
        '"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}',
    );
    expect(encoder.encode(text).length % 8).toBe(0);
    expect(/^[^ ]* *$/.test(text.slice(text.lastIndexOf('}')))).toBe(true);
    expect(file.length).toBe(8 + encoder.encode(text).length + 3);
    expect(parseSafetensors(file).metadata).toEqual({ format: 'pt', note: 'ünïcødé "quoted"' });
    expect(parseSafetensors(serializeSafetensors([])).metadata).toBeUndefined();
    expect(parseSafetensors(serializeSafetensors([])).tensors.size).toBe(0);
  });

  it('keeps integer-like and unusual tensor names in layout order', () => {
    const names = ['z', '10', '2', '__proto__', 'é', '😀', 'a"b\\c'];
    const file = serializeSafetensors(
      names.map((name, i) => ({ name, dtype: 'i32', shape: [1], data: Int32Array.of(i) })),
    );
    const parsed = parseSafetensors(file);
    expect([...parsed.tensors.keys()]).toEqual(names);
    for (const [i, n] of names.entries()) expect(values(parsed.tensors.get(n)!.storage())).toEqual([i]);
  });

  it('reads BOOL as u8', () => {
    const file = rawFile({ m: { dtype: 'BOOL', shape: [2, 2], data_offsets: [0, 4] } }, new Uint8Array([1, 0, 0, 1]));
    const e = entry(file, 'm');
    expect(e.dtype).toBe('u8');
    expect(values(e.storage())).toEqual([1, 0, 0, 1]);
  });
});

describe('zero-copy', () => {
  it('returns views that share the file buffer when aligned', () => {
    const file = serializeSafetensors({
      w: { dtype: 'f32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      d: { dtype: 'f64', shape: [2], data: new Float64Array([5, 6]) },
      l: { dtype: 'i64', shape: [1], data: BigInt64Array.of(7n) },
    });
    const parsed = parseSafetensors(file);
    for (const e of parsed.tensors.values()) {
      expect(e.storage().buffer).toBe(file.buffer);
      expect(e.bytes().buffer).toBe(file.buffer);
      expect(e.storage().byteOffset).toBe(e.byteOffset);
    }
    const w = parsed.tensors.get('w')!.storage() as Float32Array;
    new Float32Array(file.buffer, parsed.tensors.get('w')!.byteOffset, 4)[1] = 42;
    expect(w[1]).toBe(42);
    expect(Array.from(parsed.tensors.get('w')!.bytes())).toEqual(
      Array.from(new Uint8Array(w.buffer, w.byteOffset, 16)),
    );
  });

  it('copies into an aligned array when the tensor is misaligned', () => {
    const file = serializeSafetensors([
      { name: 'b', dtype: 'u8', shape: [1], data: new Uint8Array([9]) },
      { name: 'd', dtype: 'f64', shape: [2], data: new Float64Array([1.25, -3]) },
      { name: 'h', dtype: 'f16', shape: [1], data: Uint16Array.of(0x3c00) },
      { name: 'l', dtype: 'i64', shape: [1], data: BigInt64Array.of(-8n) },
    ]);
    const parsed = parseSafetensors(file);
    const d = parsed.tensors.get('d')!;
    expect(d.byteOffset % 8).not.toBe(0);
    const copy = d.storage();
    expect(copy.buffer).not.toBe(file.buffer);
    expect(values(copy)).toEqual([1.25, -3]);
    expect(d.bytes().buffer).toBe(file.buffer);
    expect(Array.from(parsed.tensors.get('l')!.storage() as BigInt64Array)).toEqual([-8n]);
    expect(values(parsed.tensors.get('h')!.storage())).toEqual([0x3c00]);
  });

  it('handles a file that is itself a subarray at an odd offset', () => {
    const file = serializeSafetensors([{ name: 'x', dtype: 'f32', shape: [3], data: new Float32Array([1, 2, 3]) }]);
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const e = entry(big.subarray(3), 'x');
    expect(values(e.storage())).toEqual([1, 2, 3]);
    expect(e.bytes().buffer).toBe(big.buffer);
    expect(e.bytes().byteOffset).toBe(3 + e.byteOffset);
  });
});

describe('malformed files', () => {
  const valid = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const parseRaw =
    (header: string | object, data: Uint8Array | number = 8, length?: bigint) =>
    () =>
      parseSafetensors(rawFile(header, data, length), 'bad.safetensors');

  it('accepts the baseline', () => {
    expect(parseRaw(valid)().tensors.get('w')!.shape).toEqual([2]);
  });
  it('names the file', () => {
    expect(parseRaw({ w: { ...valid.w, dtype: 'I8' } })).toThrow(
      "safetensors 'bad.safetensors': unsupported dtype 'I8' for tensor 'w'",
    );
    expect(() => parseSafetensors(new Uint8Array(3))).toThrow(/^safetensors: file is 3 bytes/);
  });
  it('rejects files shorter than 8 bytes', () => {
    for (const n of [0, 1, 7])
      expect(() => parseSafetensors(new Uint8Array(n), 'x')).toThrow(/shorter than the 8-byte/);
  });
  it('rejects header lengths beyond the file or the 100 MB limit', () => {
    expect(parseRaw(valid, 8, 1000n)).toThrow(/header length 1000 is larger than the \d+ bytes/);
    expect(parseRaw(valid, 8, 200_000_000n)).toThrow(/header length 200000000 exceeds the 100000000-byte limit/);
    expect(parseRaw(valid, 8, 2n ** 63n + 5n)).toThrow(/exceeds the 100000000-byte limit/);
    expect(parseRaw(valid, 8, 2n ** 32n)).toThrow(/exceeds the 100000000-byte limit/);
  });
  it('rejects headers that are not a UTF-8 JSON object', () => {
    const badUtf8 = new Uint8Array([...encoder.encode('{"a'), 0xff, 0xfe, ...encoder.encode('":1}')]);
    const file = new Uint8Array(8 + badUtf8.length);
    new DataView(file.buffer).setUint32(0, badUtf8.length, true);
    file.set(badUtf8, 8);
    expect(() => parseSafetensors(file, 'f')).toThrow(/header is not valid UTF-8/);
    expect(parseRaw('{"w": ')).toThrow(/header is not valid JSON/);
    expect(parseRaw('{} trailing')).toThrow(/header is not valid JSON/);
    expect(parseRaw('[1, 2]')).toThrow(/header must start with '\{'/);
    expect(parseRaw(' {}')).toThrow(/header must start with '\{'/);
    expect(parseRaw('', 0)).toThrow(/header must start with '\{'/);
    expect(parseRaw('{}   ', 0)().tensors.size).toBe(0);
  });
  it('rejects entries missing fields or with wrong types', () => {
    expect(parseRaw({ w: { shape: [2], data_offsets: [0, 8] } })).toThrow(/tensor 'w': missing 'dtype'/);
    expect(parseRaw({ w: { dtype: 'F32', data_offsets: [0, 8] } })).toThrow(/tensor 'w': missing 'shape'/);
    expect(parseRaw({ w: { dtype: 'F32', shape: [2] } })).toThrow(/tensor 'w': missing 'data_offsets'/);
    expect(parseRaw({ w: 5 })).toThrow(/tensor 'w': entry must be an object/);
    expect(parseRaw({ w: [1] })).toThrow(/tensor 'w': entry must be an object/);
    expect(parseRaw({ w: { ...valid.w, dtype: 32 } })).toThrow(/tensor 'w': 'dtype' must be a string/);
    expect(parseRaw({ w: { ...valid.w, shape: '2' } })).toThrow(/tensor 'w': 'shape' must be an array/);
    expect(parseRaw({ w: { ...valid.w, data_offsets: '0,8' } })).toThrow(
      /tensor 'w': 'data_offsets' must be \[begin, end\]/,
    );
  });
  it('rejects negative, fractional and non-number shape dims', () => {
    for (const dim of [-2, 1.5, '2', null, 1e300]) {
      expect(parseRaw({ w: { ...valid.w, shape: [dim] } })).toThrow(
        /tensor 'w': 'shape' must be an array of non-negative integers/,
      );
    }
  });
  it('rejects bad data_offsets', () => {
    expect(parseRaw({ w: { ...valid.w, data_offsets: [0] } })).toThrow(/must be \[begin, end\]/);
    expect(parseRaw({ w: { ...valid.w, data_offsets: [0, 8, 9] } })).toThrow(/must be \[begin, end\]/);
    expect(parseRaw({ w: { ...valid.w, data_offsets: ['0', 8] } })).toThrow(/must be non-negative integers/);
    expect(parseRaw({ w: { ...valid.w, data_offsets: [-8, 0] } })).toThrow(/must be non-negative integers/);
    expect(parseRaw({ w: { ...valid.w, data_offsets: [0.5, 8.5] } })).toThrow(/must be non-negative integers/);
    expect(parseRaw({ w: { ...valid.w, data_offsets: [8, 0] } })).toThrow(
      /tensor 'w': 'data_offsets' begin 8 is after end 0/,
    );
  });
  it('rejects a truncated data section', () => {
    expect(parseRaw(valid, 7)).toThrow(
      /tensor 'w': data_offsets end 8 is beyond the data section of 7 bytes \(truncated/,
    );
    const file = serializeSafetensors([{ name: 'x', dtype: 'f64', shape: [4], data: new Float64Array(4) }]);
    expect(() => parseSafetensors(file.subarray(0, file.length - 1))).toThrow(/tensor 'x'.*truncated/);
  });
  it('rejects a byte length that does not match the shape', () => {
    expect(parseRaw({ w: { ...valid.w, shape: [3] } }, 12)).toThrow(
      /tensor 'w': byte length 8 from data_offsets does not match shape \[3\] of F32 \(12 bytes expected\)/,
    );
    expect(parseRaw({ w: { dtype: 'I64', shape: [], data_offsets: [0, 4] } })).toThrow(/does not match shape \[\]/);
    expect(parseRaw({ w: { ...valid.w, shape: [2 ** 40, 2 ** 40] } })).toThrow(/does not match shape/);
  });
  it('rejects overlapping tensors, in any header order', () => {
    const data = 16;
    expect(
      parseRaw(
        {
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        },
        data,
      ),
    ).toThrow(/tensors 'a' \[0, 8\) and 'b' \[4, 12\) overlap/);
    expect(
      parseRaw(
        {
          big: { dtype: 'U8', shape: [16], data_offsets: [0, 16] },
          x: { dtype: 'U8', shape: [2], data_offsets: [2, 4] },
          y: { dtype: 'U8', shape: [2], data_offsets: [6, 8] },
        },
        data,
      ),
    ).toThrow(/overlap/);
    expect(
      parseRaw({
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        a2: { dtype: 'U8', shape: [8], data_offsets: [0, 8] },
      }),
    ).toThrow(/tensors 'a' \[0, 8\) and 'a2' \[0, 8\) overlap/);
    // Empty tensors overlap nothing; gaps and trailing bytes are tolerated.
    const ok = parseRaw(
      {
        e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
        a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
        b: { dtype: 'U8', shape: [2], data_offsets: [8, 10] },
      },
      data,
    )();
    expect([...ok.tensors.keys()]).toEqual(['a', 'e', 'b']);
  });
  it('rejects unknown and unsupported dtypes', () => {
    expect(parseRaw({ w: { ...valid.w, dtype: 'F8_E4M3' } })).toThrow(/unsupported dtype 'F8_E4M3' for tensor 'w'/);
    expect(parseRaw({ w: { ...valid.w, dtype: 'F8_E5M2' } })).toThrow(/unsupported dtype 'F8_E5M2' for tensor 'w'/);
    expect(parseRaw({ w: { ...valid.w, dtype: 'U64' } })).toThrow(/unsupported dtype 'U64' for tensor 'w'/);
    expect(parseRaw({ w: { ...valid.w, dtype: 'f32' } })).toThrow(/unknown dtype 'f32' for tensor 'w'/);
  });
  it('requires __metadata__ to be an object of strings', () => {
    expect(parseRaw({ __metadata__: 'pt', ...valid })).toThrow(/'__metadata__' must be an object of strings/);
    expect(parseRaw({ __metadata__: ['pt'], ...valid })).toThrow(/'__metadata__' must be an object of strings/);
    expect(parseRaw({ __metadata__: { total_size: 8 }, ...valid })).toThrow(
      /'__metadata__' value for key 'total_size' must be a string, got number/,
    );
    expect(parseRaw({ __metadata__: null, ...valid })().metadata).toBeUndefined();
    const proto = parseRaw('{"__metadata__":{"__proto__":"x"}}', 0)().metadata!;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });
});

describe('writer validation', () => {
  const t = (over: Partial<SafetensorsTensorInput>): SafetensorsTensorInput[] => [
    { name: 'w', dtype: 'f32', shape: [2, 3], data: new Float32Array(6), ...over },
  ];
  it('checks data length, array type, shape, names and metadata', () => {
    expect(() => serializeSafetensors(t({ data: new Float32Array(5) }))).toThrow(
      /tensor 'w': data has 5 elements but shape \[2, 3\] needs 6/,
    );
    expect(() => serializeSafetensors(t({ data: new Float64Array(6) }))).toThrow(
      /tensor 'w': data for dtype f32 must be a Float32Array, got Float64Array/,
    );
    expect(() => serializeSafetensors(t({ dtype: 'bf16', data: new Float32Array(6) }))).toThrow(
      /must be a Uint16Array/,
    );
    expect(() => serializeSafetensors(t({ shape: [-2, -3] }))).toThrow(/non-negative integers/);
    expect(() => serializeSafetensors(t({ shape: [1.5, 4] }))).toThrow(/non-negative integers/);
    expect(() => serializeSafetensors(t({ dtype: 'f8' as DType }))).toThrow(/unknown dtype 'f8'/);
    expect(() => serializeSafetensors(t({ name: '__metadata__' }))).toThrow(/reserved/);
    expect(() => serializeSafetensors([...t({}), ...t({})])).toThrow(/duplicate tensor name 'w'/);
    expect(() => serializeSafetensors(t({}), { n: 1 } as unknown as Record<string, string>)).toThrow(
      /metadata value for key 'n' must be a string/,
    );
    expect(() => serializeSafetensors({ w: { dtype: 'i32', shape: [2], data: new Int32Array(3) } })).toThrow(
      /tensor 'w': data has 3 elements/,
    );
  });
  it('writes a subarray view without its neighbours', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const file = serializeSafetensors([{ name: 'v', dtype: 'f32', shape: [2], data: backing.subarray(1, 3) }]);
    expect(values(entry(file, 'v').storage())).toEqual([1, 2]);
    expect(entry(file, 'v').byteLength).toBe(8);
  });
});

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'falcon-h1-safetensors-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('checkpoint directories', () => {
  const shard1 = serializeSafetensors(
    {
      'model.a': { dtype: 'f32', shape: [2], data: new Float32Array([1, 2]) },
      'model.b': { dtype: 'i64', shape: [1], data: BigInt64Array.of(3n) },
    },
    { format: 'pt' },
  );
  const shard2 = serializeSafetensors({ 'model.c': { dtype: 'bf16', shape: [3], data: f32ArrayToBf16([1, 2, 3]) } });
  const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const index = {
    metadata: { total_size: 22 },
    weight_map: { 'model.c': names[1], 'model.a': names[0], 'model.b': names[0] },
  };

  async function shardedDir(indexJson: object = index, shards = [shard1, shard2]): Promise<string> {
    const dir = await tempDir();
    for (let i = 0; i < shards.length; i++) await writeFile(join(dir, names[i]!), shards[i]!);
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(indexJson));
    return dir;
  }

  it('loads and merges a sharded checkpoint', async () => {
    const dir = await shardedDir();
    const loaded = await loadSafetensorsFromDir(dir);
    expect(loaded.files).toEqual(names.map((n) => join(dir, n)));
    expect([...loaded.tensors.keys()]).toEqual(['model.b', 'model.a', 'model.c']);
    expect(values(loaded.tensors.get('model.a')!.storage())).toEqual([1, 2]);
    expect(values(loaded.tensors.get('model.b')!.storage())).toEqual([3n]);
    expect(loaded.tensors.get('model.c')!.dtype).toBe('bf16');
    expect(loaded.metadata).toEqual({ format: 'pt' });
    expect(loaded.indexMetadata).toEqual({ total_size: 22 });
    const again = await readSafetensorsIndex(JSON.stringify(index), dir);
    expect([...again.tensors.keys()]).toEqual([...loaded.tensors.keys()]);
  });

  it('loads a single-file checkpoint', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'model.safetensors'), shard1);
    const loaded = await loadSafetensorsFromDir(dir);
    expect(loaded.files).toEqual([join(dir, 'model.safetensors')]);
    expect([...loaded.tensors.keys()].sort()).toEqual(['model.a', 'model.b']);
    expect(loaded.indexMetadata).toBeUndefined();
  });

  it('reports a directory with no checkpoint', async () => {
    const dir = await tempDir();
    await expect(loadSafetensorsFromDir(dir)).rejects.toThrow(
      /no 'model.safetensors' or 'model.safetensors.index.json'/,
    );
  });

  it('reports a missing shard', async () => {
    const dir = await shardedDir(index, [shard1]);
    await expect(loadSafetensorsFromDir(dir)).rejects.toThrow(/shard file\(s\) not found .*model-00002-of-00002/);
    await mkdir(join(dir, names[1]!));
    await expect(loadSafetensorsFromDir(dir)).rejects.toThrow(/not found/);
  });

  it('reports a tensor that is not in its shard', async () => {
    const dir = await shardedDir({ weight_map: { ...index.weight_map, 'model.d': names[1] } });
    await expect(loadSafetensorsFromDir(dir)).rejects.toThrow(
      /tensor 'model.d' is listed for shard 'model-00002-of-00002.safetensors' but is not in it/,
    );
  });

  it('reports a tensor in two shards, or in a shard it is not listed for', async () => {
    const dup = serializeSafetensors({
      'model.c': { dtype: 'bf16', shape: [3], data: new Uint16Array(3) },
      'model.a': { dtype: 'f32', shape: [2], data: new Float32Array(2) },
    });
    const dir = await shardedDir(index, [shard1, dup]);
    await expect(loadSafetensorsFromDir(dir)).rejects.toThrow(
      /tensor 'model.a' appears in two shards: 'model-00001-of-00002.safetensors' and 'model-00002/,
    );
    const dir2 = await shardedDir({ weight_map: { 'model.a': names[0], 'model.c': names[1] } });
    await expect(loadSafetensorsFromDir(dir2)).rejects.toThrow(
      /tensor 'model.b' is in shard .* but not in the weight map/,
    );
  });

  it('validates the index itself', async () => {
    const dir = await tempDir();
    await expect(readSafetensorsIndex('{', dir)).rejects.toThrow(/model.safetensors.index.json': not valid JSON/);
    await expect(readSafetensorsIndex('{"metadata":{}}', dir)).rejects.toThrow(/'weight_map' must be an object/);
    await expect(readSafetensorsIndex('{"weight_map":{"a":3}}', dir)).rejects.toThrow(/tensor 'a' must be a file name/);
    await expect(readSafetensorsIndex('{"weight_map":{"a":"../x.safetensors"}}', dir)).rejects.toThrow(
      /must be a file name inside the directory/,
    );
    await expect(readSafetensorsIndex('{"weight_map":{}}', dir)).rejects.toThrow(/'weight_map' is empty/);
  });

  it('reports a corrupt shard with its path', async () => {
    const dir = await shardedDir(index, [shard1, shard2.subarray(0, shard2.length - 2)]);
    await expect(loadSafetensorsFromDir(dir)).rejects.toThrow(/model-00002-of-00002.safetensors'.*truncated/);
  });
});

describe('golden fixtures', () => {
  // The repository's copy of the shared fixtures (byte-identical), else the shared folder itself.
  const candidates = [
    fileURLToPath(new URL('../../../tests/fixtures/tiny-a', import.meta.url)),
    '/work/shared/fixtures/tiny-a',
  ];
  const fixtureDir = candidates.find((dir) => existsSync(join(dir, 'golden.safetensors'))) ?? candidates[0]!;

  it('reads golden.safetensors', async () => {
    const bytes = await readFile(join(fixtureDir, 'golden.safetensors'));
    const golden = parseSafetensors(bytes, 'golden.safetensors');
    expect(golden.metadata).toEqual({ reference: 'transformers FalconH1ForCausalLM, float64 on CPU' });
    const logits = golden.tensors.get('logits')!;
    expect(logits.dtype).toBe('f64');
    expect(logits.shape).toHaveLength(3);
    expect(logits.shape).toEqual([2, 40, 384]);
    expect(Array.from((logits.storage() as Float64Array).subarray(0, 2))).toEqual([
      0.000470071709518641, 0.01792284841558743,
    ]);
    expect((golden.tensors.get('loss')!.storage() as Float64Array)[0]).toBe(5.956028461456299);
    const ids = golden.tensors.get('input_ids')!;
    expect(ids.dtype).toBe('i32');
    expect(ids.shape).toEqual([2, 40]);
    expect(values(ids.storage().subarray(0, 6))).toEqual([328, 237, 347, 142, 68, 43]);
    expect(golden.tensors.get('hidden_states.0')!.dtype).toBe('f32');

    // Re-serializing the same tensors as a record reproduces the reference writer's bytes exactly.
    const record = Object.fromEntries(
      [...golden.tensors.values()].map((e) => [e.name, { dtype: e.dtype, shape: e.shape, data: e.storage() }]),
    );
    const rewritten = serializeSafetensors(record, golden.metadata);
    expect(rewritten.length).toBe(bytes.length);
    expect(Buffer.from(rewritten).equals(bytes)).toBe(true);
  });

  it('reads model.safetensors (directly and as a directory)', async () => {
    const bytes = await readFile(join(fixtureDir, 'model.safetensors'));
    const model = parseSafetensors(bytes, 'model.safetensors');
    expect(model.metadata).toEqual({ format: 'pt' });
    expect(model.tensors.size).toBe(54);
    for (const e of model.tensors.values()) expect(e.dtype).toBe('f32');
    const embed = model.tensors.get('model.embed_tokens.weight')!;
    expect(embed.shape).toEqual([384, 96]);
    expect(values(embed.storage().subarray(0, 3))).toEqual([
      Math.fround(-0.009013109840452671),
      Math.fround(0.034910205751657486),
      Math.fround(0.04196466505527496),
    ]);
    expect(model.tensors.get('model.layers.0.mamba.conv1d.weight')!.shape).toEqual([192, 1, 4]);
    const dir = await loadSafetensorsFromDir(fixtureDir);
    expect([...dir.tensors.keys()]).toEqual([...model.tensors.keys()]);
  });
});

describe('fuzz', () => {
  it('2000 random mutations and truncations either parse or throw a SafetensorsError', () => {
    const base = serializeSafetensors(
      {
        a: { dtype: 'f32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        b: { dtype: 'i64', shape: [2], data: BigInt64Array.of(1n, -1n) },
        c: { dtype: 'f16', shape: [3], data: Uint16Array.of(1, 2, 3) },
        d: { dtype: 'u8', shape: [0], data: new Uint8Array(0) },
        e: { dtype: 'f64', shape: [], data: Float64Array.of(0.5) },
      },
      { format: 'pt' },
    );
    let seed = 0x9e3779b9;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const interesting = [0x00, 0x20, 0x22, 0x2c, 0x2d, 0x30, 0x31, 0x39, 0x5b, 0x5d, 0x7b, 0x7d, 0xff, 0x80];
    let parsedCount = 0;
    let errorCount = 0;
    for (let iteration = 0; iteration < 2000; iteration++) {
      let bytes = base.slice();
      const mutations = 1 + random(4);
      for (let m = 0; m < mutations; m++) {
        const kind = random(5);
        if (kind === 0) bytes = bytes.slice(0, random(bytes.length + 1));
        else if (bytes.length > 0) {
          // Bias towards the length field and the header, where mutations matter.
          const at = random(2) === 0 ? random(Math.min(bytes.length, 8)) : random(bytes.length);
          if (kind === 1) bytes[at] = random(256);
          else if (kind === 2) bytes[at] = interesting[random(interesting.length)]!;
          else if (kind === 3) bytes[at] = bytes[at]! ^ (1 << random(8));
          else bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]);
        }
      }
      const offset = random(4);
      const holder = new Uint8Array(bytes.length + offset);
      holder.set(bytes, offset);
      const input = holder.subarray(offset);
      try {
        const parsed = parseSafetensors(input, 'fuzz');
        for (const e of parsed.tensors.values()) {
          const s = e.storage();
          const b = e.bytes();
          expect(b.byteLength).toBe(e.byteLength);
          expect(s.byteLength).toBe(e.byteLength);
          expect(b.byteOffset + b.byteLength).toBeLessThanOrEqual(holder.byteLength);
        }
        parsedCount++;
      } catch (error) {
        expect(error).toBeInstanceOf(SafetensorsError);
        expect(error).not.toBeInstanceOf(RangeError);
        errorCount++;
      }
    }
    expect(parsedCount + errorCount).toBe(2000);
    expect(errorCount).toBeGreaterThan(100);
    expect(parsedCount).toBeGreaterThan(10);
  });
});

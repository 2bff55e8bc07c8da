/**
 * The streaming safetensors writer and reader on real files: the writer's bytes equal serializeSafetensors' (record
 * and array order, every dtype, metadata), data arrives through sync and async callbacks, bad data and failed
 * fetches are refused by name and leave no file; the reader gives back every tensor bit for bit and refuses a
 * truncated file with parseSafetensors' message.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DType, StorageArray } from '../src/dtype.js';
import {
  openSafetensorsFile,
  parseSafetensors,
  SafetensorsError,
  type SafetensorsTensorData,
  type SafetensorsTensorSource,
  serializeSafetensors,
  writeSafetensorsFile,
} from '../src/safetensors/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safetensors-file-'));
  dirs.push(dir);
  return dir;
}

/** One tensor of each dtype, odd sizes first so a wrong layout would misalign the next. */
function sampleTensors(): Record<string, SafetensorsTensorData> {
  const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  return {
    'z.u8': { dtype: 'u8', shape: [3], data: Uint8Array.from([1, 2, 255]) },
    'a.f16': { dtype: 'f16', shape: [5], data: Uint16Array.from(ramp(5, (i) => 0x3c00 + i)) },
    'b.bf16': { dtype: 'bf16', shape: [1, 3], data: Uint16Array.from([0x3f80, 0xc000, 0x7f80]) },
    'c.f32': { dtype: 'f32', shape: [2, 3], data: Float32Array.from(ramp(6, (i) => i / 7 - 0.3)) },
    'd.f64': { dtype: 'f64', shape: [3], data: Float64Array.from([Math.PI, -0, 1e-300]) },
    'e.i32': { dtype: 'i32', shape: [2], data: Int32Array.from([-5, 2 ** 31 - 1]) },
    'f.i64': { dtype: 'i64', shape: [2], data: BigInt64Array.from([-1n, 2n ** 62n]) },
    'g.empty': { dtype: 'f32', shape: [0, 4], data: new Float32Array(0) },
  };
}

/** Sources whose data comes through callbacks, alternately synchronous and asynchronous. */
function asSources(tensors: Record<string, SafetensorsTensorData>): Record<string, SafetensorsTensorSource> {
  return Object.fromEntries(
    Object.entries(tensors).map(([name, t], i) => [
      name,
      { dtype: t.dtype, shape: t.shape, data: i % 2 === 0 ? () => t.data : async () => t.data },
    ]),
  );
}

describe('writeSafetensorsFile', () => {
  it('writes the bytes serializeSafetensors makes, for a record and for an array', async () => {
    const dir = await freshDir();
    const tensors = sampleTensors();
    const metadata = { format: 'pt', step: '12' };
    const written = await writeSafetensorsFile(join(dir, 'record.safetensors'), asSources(tensors), metadata);
    const expected = serializeSafetensors(tensors, metadata);
    const file = new Uint8Array(await readFile(join(dir, 'record.safetensors')));
    expect(written.bytes).toBe(expected.length);
    expect(Buffer.compare(file, expected)).toBe(0);

    const list = Object.entries(tensors)
      .reverse()
      .map(([name, t]) => ({ name, ...t }));
    const sources = Object.entries(asSources(tensors))
      .reverse()
      .map(([name, t]) => ({ name, ...t }));
    await writeSafetensorsFile(join(dir, 'array.safetensors'), sources);
    const arrayFile = new Uint8Array(await readFile(join(dir, 'array.safetensors')));
    expect(Buffer.compare(arrayFile, serializeSafetensors(list))).toBe(0);
  });

  it('refuses data of the wrong type or length by name, and leaves no file', async () => {
    const dir = await freshDir();
    const path = join(dir, 'bad.safetensors');
    const wrongType = { w: { dtype: 'f32' as DType, shape: [2], data: () => new Float64Array(2) as StorageArray } };
    await expect(writeSafetensorsFile(path, wrongType)).rejects.toThrow(
      new SafetensorsError(
        "safetensors write: tensor 'w': data for dtype f32 must be a Float32Array, got Float64Array",
      ),
    );
    expect(existsSync(path)).toBe(false);
    const wrongLength = { a: { dtype: 'i32' as DType, shape: [3], data: () => new Int32Array(2) } };
    await expect(writeSafetensorsFile(path, wrongLength)).rejects.toThrow(
      "tensor 'a': data has 2 elements but shape [3] needs 3",
    );
    expect(existsSync(path)).toBe(false);
  });

  it('passes on a failed fetch and removes the partial file', async () => {
    const dir = await freshDir();
    const path = join(dir, 'failed.safetensors');
    const sources = {
      a: { dtype: 'f32' as DType, shape: [4], data: () => new Float32Array(4) },
      b: {
        dtype: 'f32' as DType,
        shape: [4],
        data: async (): Promise<StorageArray> => {
          throw new Error('readback failed');
        },
      },
    };
    await expect(writeSafetensorsFile(path, sources)).rejects.toThrow('readback failed');
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a duplicate name in an array before writing anything', async () => {
    const dir = await freshDir();
    const path = join(dir, 'dup.safetensors');
    const t = { name: 'x', dtype: 'u8' as DType, shape: [1], data: () => new Uint8Array(1) };
    await expect(writeSafetensorsFile(path, [t, t])).rejects.toThrow("duplicate tensor name 'x'");
    expect(existsSync(path)).toBe(false);
  });
});

describe('openSafetensorsFile', () => {
  it('reads every tensor back bit for bit, with the metadata', async () => {
    const dir = await freshDir();
    const path = join(dir, 'model.safetensors');
    const tensors = sampleTensors();
    await writeFile(path, serializeSafetensors(tensors, { step: '3' }));
    const file = await openSafetensorsFile(path);
    try {
      expect(file.metadata).toEqual({ step: '3' });
      expect(new Set(file.tensors.keys())).toEqual(new Set(Object.keys(tensors)));
      for (const [name, t] of Object.entries(tensors)) {
        const entry = file.tensors.get(name)!;
        expect(entry.dtype).toBe(t.dtype);
        expect(entry.shape).toEqual(t.shape);
        const data = await entry.read();
        expect(Object.prototype.toString.call(data)).toBe(Object.prototype.toString.call(t.data));
        expect(Buffer.compare(Buffer.from(data.buffer), Buffer.from(t.data.buffer))).toBe(0);
      }
    } finally {
      await file.close();
    }
  });

  it('refuses a truncated file with the message parseSafetensors gives', async () => {
    const dir = await freshDir();
    const path = join(dir, 'cut.safetensors');
    const bytes = serializeSafetensors(sampleTensors());
    await writeFile(path, bytes);
    await truncate(path, bytes.length - 4);
    const expected = (() => {
      try {
        parseSafetensors(bytes.subarray(0, bytes.length - 4), path);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('parseSafetensors accepted a truncated file');
    })();
    await expect(openSafetensorsFile(path)).rejects.toThrow(new SafetensorsError(expected));
    await writeFile(path, bytes.subarray(0, 5));
    await expect(openSafetensorsFile(path)).rejects.toThrow('file is 5 bytes, shorter than the 8-byte header length');
  });
});

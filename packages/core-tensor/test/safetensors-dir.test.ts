/**
 * openSafetensorsDir, the streaming form of loadSafetensorsFromDir: the same tensors (single file and shards),
 * bytes read per tensor on demand, the same checks with the very same messages, and every file closed again, also
 * when the directory is refused.
 */
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f32ArrayToBf16 } from '../src/half.js';
import { loadSafetensorsFromDir, openSafetensorsDir, serializeSafetensors } from '../src/safetensors/index.js';

const root = await mkdtemp(join(tmpdir(), 'falcon-h1-safetensors-dir-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let dirs = 0;

// Three shards of every kind of dtype, the weight map in no particular order.
const shards = [
  serializeSafetensors(
    {
      'w.f64': { dtype: 'f64', shape: [2, 2], data: Float64Array.of(Math.PI, -0, 1e-300, -2) },
      'w.f16': { dtype: 'f16', shape: [3], data: Uint16Array.of(0x3c00, 0xc000, 0x7bff) },
    },
    { format: 'pt' },
  ),
  serializeSafetensors({ 'w.i32': { dtype: 'i32', shape: [1, 2], data: Int32Array.of(-7, 2 ** 31 - 1) } }),
  serializeSafetensors({
    'w.bf16': { dtype: 'bf16', shape: [2], data: f32ArrayToBf16([0.5, -3]) },
    'w.u8': { dtype: 'u8', shape: [0], data: new Uint8Array(0) },
  }),
];
const names = shards.map((_, i) => `model-0000${i + 1}-of-00003.safetensors`);
const index = {
  metadata: { total_size: 50 },
  weight_map: { 'w.u8': names[2], 'w.i32': names[1], 'w.f64': names[0], 'w.bf16': names[2], 'w.f16': names[0] },
};

/** A directory holding `files` (name → bytes, or an object written as JSON). */
async function directory(files: Record<string, Uint8Array | object>): Promise<string> {
  const dir = join(root, String(dirs++));
  await mkdir(dir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), content instanceof Uint8Array ? content : JSON.stringify(content));
  }
  return dir;
}

const sharded = (indexJson: object = index, files = shards): Promise<string> =>
  directory({ 'model.safetensors.index.json': indexJson, ...Object.fromEntries(files.map((s, i) => [names[i]!, s])) });

/** Open file descriptors of this process (Linux). */
const openFiles = (): number => readdirSync('/proc/self/fd').length;

/** The bytes of a typed array. */
const bytesOf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('openSafetensorsDir', () => {
  it('opens what loadSafetensorsFromDir loads: same tensors, order, bytes and metadata; closes every file', async () => {
    for (const dir of [await sharded(), await directory({ 'model.safetensors': shards[0]! })]) {
      const whole = await loadSafetensorsFromDir(dir);
      const before = openFiles();
      const opened = await openSafetensorsDir(dir);
      expect(opened.files).toEqual(whole.files);
      expect(opened.metadata).toEqual(whole.metadata);
      expect(opened.indexMetadata).toEqual(whole.indexMetadata);
      expect([...opened.tensors.keys()]).toEqual([...whole.tensors.keys()]);
      for (const [name, entry] of whole.tensors) {
        const streamed = opened.tensors.get(name)!;
        expect({ dtype: streamed.dtype, shape: streamed.shape }).toEqual({ dtype: entry.dtype, shape: entry.shape });
        const data = await streamed.read();
        expect(data.constructor).toBe(entry.storage().constructor);
        expect(bytesOf(data).equals(bytesOf(entry.storage())), name).toBe(true);
      }
      await opened.close();
      expect(openFiles()).toBe(before);
    }
  });

  it('refuses what loadSafetensorsFromDir refuses, with the same message, and leaves no file open', async () => {
    const duplicate = serializeSafetensors({
      'w.i32': { dtype: 'i32', shape: [1, 2], data: new Int32Array(2) },
      'w.f16': { dtype: 'f16', shape: [3], data: new Uint16Array(3) },
    });
    const { 'w.u8': _, ...withoutU8 } = index.weight_map;
    const last = shards[2]!;
    const broken = {
      'no checkpoint': await directory({}),
      'missing shard': await sharded(index, shards.slice(0, 2)),
      'tensor not in its shard': await sharded({ weight_map: { ...index.weight_map, 'w.x': names[1] } }),
      'tensor in two shards': await sharded(index, [shards[0]!, duplicate, last]),
      'tensor not in the weight map': await sharded({ weight_map: withoutU8 }),
      'index not JSON': await directory({ 'model.safetensors.index.json': new TextEncoder().encode('{') }),
      'truncated shard': await sharded(index, [shards[0]!, shards[1]!, last.subarray(0, last.length - 2)]),
      'corrupt single file': await directory({ 'model.safetensors': shards[0]!.subarray(0, 12) }),
    };
    for (const [problem, dir] of Object.entries(broken)) {
      const wholeError = await loadSafetensorsFromDir(dir).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(wholeError, problem).toBeInstanceOf(Error);
      const before = openFiles();
      await expect(openSafetensorsDir(dir), problem).rejects.toThrow(wholeError!.message);
      expect(openFiles(), problem).toBe(before);
    }
  });
});

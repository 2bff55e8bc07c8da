/**
 * Streaming checkpoint loading: loadFalconH1 reads each tensor with positioned reads (openSafetensorsDir), so it
 * gives exactly what reading the whole files gave (single file and shards, every compute dtype), loads files that
 * readFile refuses (over 2 GiB: a sparse file whose tensors sit on both sides of a 4.5 GiB hole, costing no disk),
 * closes every file it opened, and refuses broken files naming the file and the tensor.
 */
import '@falcon-h1/backend-reference';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DType,
  loadSafetensorsFromDir,
  parseSafetensors,
  type SafetensorsEntry,
  type SafetensorsTensorData,
  serializeSafetensors,
  storageToValues,
  type Tensor,
  tensor,
  tensorFromStorage,
} from '@falcon-h1/core-tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { type ComputeDType, type FalconH1ForCausalLM, loadFalconH1, saveFalconH1 } from '../src/index.js';
import { fixtureDir } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'falcon-h1-streaming-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The loader before streaming: every file read whole, each entry converted as it did. */
async function wholeFileParameters(dir: string, dtype: DType): Promise<Map<string, Tensor>> {
  const checkpoint = await loadSafetensorsFromDir(dir);
  const out = new Map<string, Tensor>();
  const convert = (entry: SafetensorsEntry): Tensor => {
    const storage = entry.storage();
    if (entry.dtype === dtype) return tensorFromStorage(storage.slice(), entry.shape, dtype);
    return tensor(storageToValues(storage, entry.dtype) as ArrayLike<number>, entry.shape, dtype);
  };
  for (const [name, entry] of checkpoint.tensors) out.set(name, convert(entry));
  return out;
}

const bytesOf = (values: ArrayLike<number> | ArrayLike<bigint>): Buffer => {
  const view = values as unknown as ArrayBufferView;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
};

/** Every parameter of `model` bit for bit equal to the whole-file loader's, in the model's dtype. */
async function expectSameAsWholeFile(model: FalconH1ForCausalLM, dir: string): Promise<void> {
  const reference = await wholeFileParameters(dir, model.dtype);
  expect(model.parameters.size).toBe(reference.size);
  for (const [name, parameter] of model.parameters) {
    const want = reference.get(name);
    expect(want, name).toBeDefined();
    expect(parameter.dtype, name).toBe(model.dtype);
    expect(parameter.shape, name).toEqual(want!.shape);
    expect(bytesOf(await parameter.data()).equals(bytesOf(await want!.data())), name).toBe(true);
  }
  for (const t of reference.values()) t.dispose();
}

/** Open file descriptors of this process (Linux), to see that every file opened is closed again. */
const openFiles = (): number => readdirSync('/proc/self/fd').length;

/**
 * A copy of `<source>/model.safetensors` at `path` with the same header entries, except that the data of the
 * second half of the tensors starts `gap` bytes further on: a sparse hole, so the file is large but costs no disk.
 */
async function writeWithHole(source: string, path: string, gap: number): Promise<number> {
  const parsed = parseSafetensors(readFileSync(join(source, 'model.safetensors')));
  const entries = [...parsed.tensors.values()];
  const header: Record<string, unknown> = { __metadata__: parsed.metadata };
  const placed: Array<{ entry: SafetensorsEntry; begin: number }> = [];
  let offset = 0;
  entries.forEach((entry, i) => {
    if (i === Math.floor(entries.length / 2)) offset += gap;
    const dtype = { f32: 'F32', bf16: 'BF16', f16: 'F16', f64: 'F64' }[entry.dtype as ComputeDType];
    header[entry.name] = { dtype, shape: entry.shape, data_offsets: [offset, offset + entry.byteLength] };
    placed.push({ entry, begin: offset });
    offset += entry.byteLength;
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(8 + json.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
  prefix.set(json, 8);
  const handle = await open(path, 'w');
  try {
    await handle.write(prefix, 0, prefix.length, 0);
    for (const { entry, begin } of placed)
      await handle.write(entry.bytes(), 0, entry.byteLength, prefix.length + begin);
  } finally {
    await handle.close();
  }
  return prefix.length + offset;
}

describe('streaming checkpoint loading', () => {
  it('loads a single file exactly as reading it whole did, in every compute dtype', async () => {
    for (const fixture of ['tiny-a', 'tiny-b']) {
      for (const dtype of ['f32', 'bf16', 'f16', 'f64'] as const) {
        const model = await loadFalconH1(fixtureDir(fixture), { dtype });
        await expectSameAsWholeFile(model, fixtureDir(fixture));
        model.dispose();
      }
    }
  });

  it('loads shards (f32 and bf16 files) exactly as reading them whole did', async () => {
    const original = await loadFalconH1(fixtureDir('tiny-a'));
    for (const stored of ['f32', 'bf16'] as const) {
      const dir = join(work, `tiny-a-${stored}-sharded`);
      await saveFalconH1(original, dir, { dtype: stored, maxShardBytes: 150_000 });
      expect(readdirSync(dir).filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(2);
      for (const dtype of ['f32', 'bf16'] as const) {
        const model = await loadFalconH1(dir, { dtype });
        await expectSameAsWholeFile(model, dir);
        model.dispose();
      }
    }
    original.dispose();
  });

  it('loads a file over 4 GiB, which readFile refuses, and closes it', async () => {
    const dir = join(work, 'tiny-b-holed');
    await mkdir(dir);
    copyFileSync(join(fixtureDir('tiny-b'), 'config.json'), join(dir, 'config.json'));
    const size = await writeWithHole(fixtureDir('tiny-b'), join(dir, 'model.safetensors'), 4.5 * 2 ** 30);
    expect(size).toBeGreaterThan(2 ** 32);
    await expect(readFile(join(dir, 'model.safetensors'))).rejects.toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE' });
    const before = openFiles();
    const model = await loadFalconH1(dir);
    expect(openFiles()).toBe(before);
    const fixture = await loadFalconH1(fixtureDir('tiny-b'));
    for (const [name, parameter] of model.parameters) {
      const want = await fixture.parameters.get(name)!.data();
      expect(bytesOf(await parameter.data()).equals(bytesOf(want)), name).toBe(true);
    }
    model.dispose();
    fixture.dispose();
  });

  it('closes every shard when the checkpoint is refused', async () => {
    const dir = join(work, 'tiny-a-sharded-wrong-config');
    const original = await loadFalconH1(fixtureDir('tiny-a'));
    await saveFalconH1(original, dir, { maxShardBytes: 150_000 });
    original.dispose();
    // tiny-b's config wants other shapes than tiny-a's weights have.
    copyFileSync(join(fixtureDir('tiny-b'), 'config.json'), join(dir, 'config.json'));
    const before = openFiles();
    await expect(loadFalconH1(dir)).rejects.toThrow(/does not match its config\.json.*\n.*has shape/);
    expect(openFiles()).toBe(before);
  });

  it('refuses a file with a broken header, naming the file', async () => {
    const dir = mkdtempSync(join(work, 'bad-header-'));
    copyFileSync(join(fixtureDir('tiny-b'), 'config.json'), join(dir, 'config.json'));
    const bytes = readFileSync(join(fixtureDir('tiny-b'), 'model.safetensors'));
    bytes[8] = 0x5b; // '[': the header is no longer a JSON object
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    await expect(loadFalconH1(dir)).rejects.toThrow(
      `safetensors '${join(dir, 'model.safetensors')}': header must start with '{'`,
    );
  });

  it('refuses a truncated shard, naming the shard and the tensor', async () => {
    const dir = join(work, 'tiny-a-truncated');
    const original = await loadFalconH1(fixtureDir('tiny-a'));
    await saveFalconH1(original, dir, { maxShardBytes: 150_000 });
    original.dispose();
    const shards = readdirSync(dir)
      .filter((f) => f.endsWith('.safetensors'))
      .sort();
    const last = join(dir, shards[shards.length - 1]!);
    const bytes = readFileSync(last);
    writeFileSync(last, bytes.subarray(0, bytes.length - 4));
    await expect(loadFalconH1(dir)).rejects.toThrow(
      new RegExp(`safetensors '${last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': tensor '[^']+': .*truncated file`),
    );
  });

  it('refuses a sharded checkpoint missing a tensor, naming it', async () => {
    const dir = join(work, 'tiny-a-missing');
    const original = await loadFalconH1(fixtureDir('tiny-a'));
    await saveFalconH1(original, dir, { maxShardBytes: 150_000 });
    original.dispose();
    // Out of its shard and out of the weight map: a consistent index, but a checkpoint without the tensor.
    const missing = 'model.layers.1.mamba.D';
    const indexPath = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    const shard = join(dir, index.weight_map[missing]);
    delete index.weight_map[missing];
    writeFileSync(indexPath, JSON.stringify(index));
    const kept: Record<string, SafetensorsTensorData> = {};
    for (const [name, entry] of parseSafetensors(readFileSync(shard)).tensors) {
      if (name !== missing) kept[name] = { dtype: entry.dtype, shape: entry.shape, data: entry.storage() };
    }
    writeFileSync(shard, serializeSafetensors(kept, { format: 'pt' }));
    await expect(loadFalconH1(dir)).rejects.toThrow(
      /missing tensor 'model\.layers\.1\.mamba\.D' \(expected shape \[\d+\]\)/,
    );
  });
});

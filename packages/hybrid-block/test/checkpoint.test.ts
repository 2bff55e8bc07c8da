/**
 * Checkpoints: the saver writes what transformers' save_file writes (byte for byte for an f32 model), a bf16
 * sharded copy loads back and computes what the f32 model does within bf16 tolerance, and broken checkpoints
 * are refused with the offending tensor's name.
 */
import '@falcon-h1/backend-reference';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseSafetensors,
  type SafetensorsTensorData,
  serializeSafetensors,
  tensor,
  tidy,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { type FalconH1ForCausalLM, loadFalconH1, saveFalconH1 } from '../src/index.js';
import { fixtureDir, readGolden, relL2 } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'falcon-h1-checkpoint-'));

async function logitsOf(model: FalconH1ForCausalLM, name = 'tiny-a'): Promise<Float32Array> {
  const ids = readGolden(name).get('input_ids')!;
  const logits = tidy(() => model.forward(tensor(ids.values, ids.shape, 'i32')).logits);
  const values = Float32Array.from((await logits.data()) as ArrayLike<number>);
  logits.dispose();
  return values;
}

/** A copy of a fixture whose safetensors tensors went through `edit`. */
function brokenCopy(name: string, edit: (tensors: Record<string, SafetensorsTensorData>) => void): string {
  const dir = mkdtempSync(join(work, `${name}-`));
  copyFileSync(join(fixtureDir(name), 'config.json'), join(dir, 'config.json'));
  const file = parseSafetensors(readFileSync(join(fixtureDir(name), 'model.safetensors')));
  const tensors: Record<string, SafetensorsTensorData> = {};
  for (const [key, entry] of file.tensors)
    tensors[key] = { dtype: entry.dtype, shape: entry.shape, data: entry.storage().slice() };
  edit(tensors);
  writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(tensors, { format: 'pt' }));
  return dir;
}

describe('checkpoints', () => {
  it('saves an f32 model byte for byte as transformers did (model.safetensors), with its config', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-b'));
    const dir = join(work, 'tiny-b-f32');
    const saved = await saveFalconH1(model, dir);
    expect(saved.files).toEqual(['model.safetensors', 'config.json']);
    expect(
      Buffer.compare(
        readFileSync(join(dir, 'model.safetensors')),
        readFileSync(join(fixtureDir('tiny-b'), 'model.safetensors')),
      ),
    ).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({
      model_type: 'falcon_h1',
      dtype: 'float32',
    });
    const reloaded = await loadFalconH1(dir);
    expect(relL2(await logitsOf(reloaded, 'tiny-b'), await logitsOf(model, 'tiny-b'))).toBe(0);
    model.dispose();
    reloaded.dispose();
  });

  it('writes a bf16 sharded copy that loads back within bf16 tolerance of the f32 model', async () => {
    const f32 = await loadFalconH1(fixtureDir('tiny-a'));
    const dir = join(work, 'tiny-a-bf16');
    const saved = await saveFalconH1(f32, dir, { dtype: 'bf16', maxShardBytes: 200_000 });
    const shards = readdirSync(dir)
      .filter((f) => f.endsWith('.safetensors'))
      .sort();
    expect(shards.length).toBeGreaterThanOrEqual(3);
    expect(shards[0]).toMatch(/^model-00001-of-0000\d\.safetensors$/);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(saved.totalBytes);
    expect(Object.keys(index.weight_map)).toHaveLength(f32.parameters.size);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).dtype).toBe('bfloat16');
    for (const shard of shards) {
      for (const entry of parseSafetensors(readFileSync(join(dir, shard))).tensors.values())
        expect(entry.dtype).toBe('bf16');
    }
    const reference = await logitsOf(f32);
    // The bf16 copy computed in f32: only the weights' rounding separates it from the f32 model.
    const fromCopy = await loadFalconH1(dir, { dtype: 'f32' });
    const err = relL2(await logitsOf(fromCopy), reference);
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(1e-2);
    // Computing in bf16, the copy is exactly the f32 checkpoint loaded as bf16 (the saver rounds as the loader does).
    const copyBf16 = await loadFalconH1(dir, { dtype: 'bf16' });
    const originalBf16 = await loadFalconH1(fixtureDir('tiny-a'), { dtype: 'bf16' });
    expect(copyBf16.dtype).toBe('bf16');
    expect(relL2(await logitsOf(copyBf16), await logitsOf(originalBf16))).toBe(0);
    for (const m of [f32, fromCopy, copyBf16, originalBf16]) m.dispose();
  });

  it('loads f16 weights', async () => {
    const f32 = await loadFalconH1(fixtureDir('tiny-b'));
    const dir = join(work, 'tiny-b-f16');
    await saveFalconH1(f32, dir, { dtype: 'f16' });
    const f16 = await loadFalconH1(dir);
    expect(relL2(await logitsOf(f16, 'tiny-b'), await logitsOf(f32, 'tiny-b'))).toBeLessThan(5e-3);
    f32.dispose();
    f16.dispose();
  });

  it('refuses a missing tensor, naming it', async () => {
    const dir = brokenCopy('tiny-b', (t) => {
      delete t['model.layers.1.mamba.A_log'];
    });
    await expect(loadFalconH1(dir)).rejects.toThrow(
      /missing tensor 'model\.layers\.1\.mamba\.A_log' \(expected shape \[4\]\)/,
    );
  });

  it('refuses a tensor of the wrong shape, naming it', async () => {
    const dir = brokenCopy('tiny-b', (t) => {
      t['model.layers.0.mamba.conv1d.weight']!.shape = [80, 4];
    });
    await expect(loadFalconH1(dir)).rejects.toThrow(
      /tensor 'model\.layers\.0\.mamba\.conv1d\.weight' has shape \[80, 4\], expected \[80, 1, 4\]/,
    );
  });

  it('refuses a tensor of a non-float dtype, naming it', async () => {
    const dir = brokenCopy('tiny-b', (t) => {
      t['model.layers.0.mamba.D'] = { dtype: 'i32', shape: [4], data: new Int32Array([1, 1, 1, 1]) };
    });
    await expect(loadFalconH1(dir)).rejects.toThrow(
      /tensor 'model\.layers\.0\.mamba\.D' has dtype I32, expected a float dtype/,
    );
  });

  it('refuses a tensor no parameter uses, naming it', async () => {
    const dir = brokenCopy('tiny-b', (t) => {
      t['model.layers.0.mamba.mup_vector'] = { dtype: 'f32', shape: [148], data: new Float32Array(148) };
    });
    await expect(loadFalconH1(dir)).rejects.toThrow(/unexpected tensor 'model\.layers\.0\.mamba\.mup_vector'/);
  });

  it('says which file is missing', async () => {
    const dir = mkdtempSync(join(work, 'empty-'));
    await expect(loadFalconH1(dir)).rejects.toThrow(/config\.json/);
    copyFileSync(join(fixtureDir('tiny-b'), 'config.json'), join(dir, 'config.json'));
    await expect(loadFalconH1(dir)).rejects.toThrow(/no 'model\.safetensors' or 'model\.safetensors\.index\.json'/);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
  });
});

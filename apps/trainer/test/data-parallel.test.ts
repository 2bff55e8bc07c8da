/**
 * Data-parallel training (the loop `falcon-h1 launch … -- falcon-h1 train` runs on every rank) over 2 and 4 ranks of
 * the in-process thread world, against one process on the same config: every step's loss and the final checkpoint's
 * parameters agree to f32 rounding (relative L2 ≤ 1e-5), only rank 0 writes, a data-parallel run resumes bit for
 * bit, and the configs and backends that cannot train data-parallel are refused by name.
 */
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@falcon-h1/backend-reference';
import { initBackend } from '@falcon-h1/core-tensor';
import { type FalconH1ForCausalLM, falconH1Preset, loadFalconH1 } from '@falcon-h1/hybrid-block';
import { Tokenizer } from '@falcon-h1/tokenizer';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkDataParallel,
  listCheckpoints,
  loadTrainConfig,
  MetricsLog,
  runTraining,
  type StepMetrics,
} from '../src/index.js';
import { initialModel, loadMupTable, mupBase, resolveShape, runModelConfig } from '../src/model/build-model.js';
import { relativeL2, smallDataParallelRun } from './small-dp-run.js';
import { collectOutput, removeTinyRuns, writeConfig } from './tiny-run.js';
import { trainInWorld } from './world/bundle-world.js';

afterAll(removeTinyRuns);

const smallRun = smallDataParallelRun;

/** Every parameter of `model` by name, as host f32 arrays (the model is disposed). */
async function valuesOf(model: FalconH1ForCausalLM): Promise<Map<string, Float32Array>> {
  try {
    const out = new Map<string, Float32Array>();
    for (const [name, p] of model.parameters) out.set(name, Float32Array.from((await p.data()) as Float32Array));
    return out;
  } finally {
    model.dispose();
  }
}

async function parametersOf(dir: string): Promise<Map<string, Float32Array>> {
  return valuesOf(await loadFalconH1(dir, { backend: await initBackend('reference'), dtype: 'f32' }));
}

/** The parameters a run of `file` starts from (its seed's initialisation). */
async function initialParameters(file: string): Promise<Map<string, Float32Array>> {
  const { config } = loadTrainConfig(file);
  const shape = runModelConfig(config, loadMupTable(config));
  return valuesOf(initialModel(shape, mupBase(config), config.model.seed, await initBackend('reference')));
}

const minus = (a: Float32Array, b: Float32Array) => a.map((x, i) => x - b[i]!);

const losses = (records: StepMetrics[]) => records.map((r) => r.loss);

describe('data-parallel training on the thread world (reference backend)', () => {
  for (const worldSize of [2, 4]) {
    it(`${worldSize} ranks train as one process: the same losses and final parameters (f32, ≤ 1e-5)`, async () => {
      const { dir, config } = await smallRun();
      const one = await runTraining(loadTrainConfig(writeConfig(dir, { ...config, out: 'one' })), {
        output: collectOutput(),
      });
      const results = await trainInWorld(worldSize, { configFile: writeConfig(dir, { ...config, out: 'dp' }) });
      expect(results.map((r) => [r.rank, r.worldSize, r.lastStep, r.leakedTensors])).toEqual(
        results.map((_, rank) => [rank, worldSize, 3, 0]),
      );
      const want = new MetricsLog(one.metricsPath).read();
      const got = new MetricsLog(results[0]!.metricsPath).read();
      expect(got.map((r) => r.step)).toEqual([1, 2, 3]);
      for (const [i, loss] of losses(got).entries()) {
        expect(Math.abs(loss - want[i]!.loss) / want[i]!.loss).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(got[i]!.grad_norm - want[i]!.grad_norm) / want[i]!.grad_norm).toBeLessThanOrEqual(1e-5);
        expect(got[i]!.tokens).toBe(want[i]!.tokens);
      }
      // Every rank saw the same losses (the all-reduced sums), not its own share.
      for (const r of results) expect(r.finalLoss).toBe(results[0]!.finalLoss);
      // The parameters, and — the stricter measure — what the three steps changed in them.
      const start = await initialParameters(join(dir, 'run.json'));
      const wantParams = await parametersOf(one.checkpoint);
      const gotParams = await parametersOf(results[0]!.checkpoint);
      expect([...gotParams.keys()].sort()).toEqual([...wantParams.keys()].sort());
      for (const [name, values] of wantParams) {
        const got = gotParams.get(name)!;
        const error = relativeL2(got, values);
        const updateError = relativeL2(minus(got, start.get(name)!), minus(values, start.get(name)!));
        expect(error, name).toBeLessThanOrEqual(1e-5);
        expect(updateError, `${name} (update)`).toBeLessThanOrEqual(1e-5);
      }
      // Rank 0 alone wrote the run directory: one set of files, no stray temporaries.
      expect(readdirSync(join(dir, 'dp')).sort()).toEqual([
        'checkpoints',
        'loss-curve.svg',
        'metrics.jsonl',
        'train-config.json',
      ]);
      expect(readdirSync(join(dir, 'dp', 'checkpoints'))).toEqual(['step-000003']);
    }, 300_000);
  }

  it('a data-parallel run resumes bit for bit on every rank (parameters, moments, data position)', async () => {
    const { dir, config } = await smallRun({ steps: 4, checkpoint: { every: 2, keep: 5 } });
    const whole = await trainInWorld(2, { configFile: writeConfig(dir, { ...config, out: 'whole' }) });
    const uninterrupted = new MetricsLog(whole[0]!.metricsPath).read();
    cpSync(join(dir, 'whole'), join(dir, 'cut'), { recursive: true });
    for (const c of listCheckpoints(join(dir, 'cut'))) if (c.step > 2) rmSync(c.dir, { recursive: true });
    const resumed = await trainInWorld(2, { configFile: writeConfig(dir, { ...config, out: 'cut' }), resume: true });
    expect(resumed.map((r) => r.firstStep)).toEqual([3, 3]);
    const exact = (records: StepMetrics[]) =>
      records.map(({ step, loss, lr, grad_norm, tokens }) => JSON.stringify({ step, loss, lr, grad_norm, tokens }));
    expect(exact(new MetricsLog(resumed[0]!.metricsPath).read())).toEqual(exact(uninterrupted));
    const want = await parametersOf(whole[0]!.checkpoint);
    const got = await parametersOf(resumed[0]!.checkpoint);
    for (const [name, values] of want) expect(got.get(name), name).toEqual(values);
  }, 300_000);
});

describe('what cannot train data-parallel is refused by name', () => {
  it('a batch that does not split over the ranks (every rank stops before training)', async () => {
    const { dir, config } = await smallRun({ batch: { rows: 3, microRows: 1 } });
    const file = writeConfig(dir, config);
    expect(() => checkDataParallel(loadTrainConfig(file).config, 2, file)).toThrow(
      `${file}: cannot train data-parallel:\n  batch.rows: a batch of 3 rows does not split over WORLD_SIZE=2 ranks`,
    );
    await expect(trainInWorld(2, { configFile: file })).rejects.toThrow(
      /batch\.rows: a batch of 3 rows does not split over WORLD_SIZE=2 ranks/,
    );
  }, 120_000);

  it("a rank's share that does not split into micro-batches, and a ramp size that does not split", async () => {
    const { dir, config } = await smallRun({
      batch: { rows: 12, microRows: 4, ramp: { startRows: 4, incrementRows: 4, tokens: 1000 } },
    });
    const file = writeConfig(dir, config);
    expect(() => checkDataParallel(loadTrainConfig(file).config, 3, file)).toThrow(
      /batch\.ramp: a batch of 4 rows does not split over WORLD_SIZE=3 ranks/,
    );
    expect(() => checkDataParallel(loadTrainConfig(file).config, 2, file)).toThrow(
      /batch\.microRows: 4 does not divide a rank's share \(6 rows of a 12-row batch over WORLD_SIZE=2\)/,
    );
  });

  it('a process group on a backend without collectives', async () => {
    const { dir, config } = await smallRun();
    const run = runTraining(loadTrainConfig(writeConfig(dir, config)), {
      output: collectOutput(),
      env: { RANK: '0', WORLD_SIZE: '2', MASTER_PORT: '29999' },
    });
    await expect(run).rejects.toThrow(
      "data-parallel training (RANK=0, WORLD_SIZE=2): backend 'reference' has no collectives; a process group needs a backend with collectives (--backend cuda, NCCL)",
    );
  });

  it('a broken process-group environment names the variable', async () => {
    const { dir, config } = await smallRun();
    const run = runTraining(loadTrainConfig(writeConfig(dir, config)), {
      output: collectOutput(),
      env: { WORLD_SIZE: '2' },
    });
    await expect(run).rejects.toThrow(/RANK is not set/);
  });
});

describe('examples/0.5b-dp.json (tools/cuda/train-dp-run.sh)', () => {
  it("is the 0.5B preset's shape with the embedded tokenizer's special ids, and splits over 1, 2 and 4 GPUs", () => {
    const file = fileURLToPath(new URL('../examples/0.5b-dp.json', import.meta.url));
    const { config } = loadTrainConfig(file);
    const shape = resolveShape(config.model, file);
    const preset = falconH1Preset('0.5B').config;
    // Every field of the preset (the file's extras, e.g. `architectures`, aside), but the two special ids.
    const { extra: _extra, ...fields } = shape;
    const { extra: _presetExtra, ...presetFields } = preset;
    expect({ ...fields, bos_token_id: preset.bos_token_id, eos_token_id: preset.eos_token_id }).toEqual(presetFields);
    const tokenizer = Tokenizer.fromJSON(readFileSync(config.tokenizer, 'utf8'));
    expect(tokenizer.getVocabSize(true)).toBeLessThanOrEqual(shape.vocab_size);
    expect([tokenizer.tokenToId('<|begin_of_text|>'), tokenizer.tokenToId('<|end_of_text|>')]).toEqual([
      shape.bos_token_id,
      shape.eos_token_id,
    ]);
    for (const gpus of [1, 2, 4]) expect(() => checkDataParallel(config, gpus, file)).not.toThrow();
  });
});

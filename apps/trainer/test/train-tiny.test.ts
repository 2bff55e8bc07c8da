import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { memory } from '@falcon-h1/core-tensor';
import { loadFalconH1 } from '@falcon-h1/hybrid-block';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTrainConfig, MetricsLog, readTrainerState, runTraining } from '../src/index.js';
import { collectOutput, removeTinyRuns, tinyRun, writeConfig } from './tiny-run.js';

afterAll(removeTinyRuns);

describe("training tiny-a's shape on the embedded corpus (wasm)", () => {
  it('the loss falls clearly below its start; held-out loss, metrics, loss curve and a loadable checkpoint are written', async () => {
    const { dir, config } = await tinyRun({ sample: { prompt: 'The', maxTokens: 8, temperature: 0 } });
    const output = collectOutput();
    const live = memory().numTensors;
    const result = await runTraining(loadTrainConfig(writeConfig(dir, config)), { output });
    // Every tensor of the run (model, moments, gradients, batches, the reloaded checkpoint) was freed.
    expect(memory().numTensors).toBe(live);

    const records = new MetricsLog(join(dir, 'run', 'metrics.jsonl')).read();
    expect(records.map((r) => r.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const start = records[0]!.loss;
    expect(start).toBeGreaterThan(Math.log(384) - 0.5);
    const end = records.slice(-5).reduce((s, r) => s + r.loss, 0) / 5;
    expect(end).toBeLessThan(start - 1);
    // Held-out loss every 10 steps, falling too.
    const evals = records.filter((r) => r.eval_loss !== undefined);
    expect(evals.map((r) => r.step)).toEqual([10, 20, 30, 40]);
    expect(evals[3]!.eval_loss!).toBeLessThan(evals[0]!.eval_loss! - 0.2);
    for (const r of records) {
      expect(Number.isFinite(r.grad_norm) && r.grad_norm > 0).toBe(true);
      expect(r.tokens).toBe(r.step * 4 * 64);
    }

    const svg = readFileSync(result.lossCurvePath, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toMatch(/<polyline [^>]*points="([\d.]+,[\d.]+ ){39}[\d.]+,[\d.]+"/);
    expect(svg.match(/<circle /g)?.length).toBe(4 + 1); // four held-out points and the legend's

    // One checkpoint kept (step 40), a Hugging Face directory plus the trainer's state.
    expect(result.checkpoint).toBe(join(dir, 'run', 'checkpoints', 'step-000040'));
    expect(existsSync(join(dir, 'run', 'checkpoints', 'step-000020'))).toBe(false);
    for (const file of ['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer-state.json']) {
      expect(existsSync(join(result.checkpoint, file))).toBe(true);
    }
    const state = readTrainerState(result.checkpoint);
    expect(state.step).toBe(40);
    expect(state.tokens).toBe(40 * 4 * 64);
    const loaded = await loadFalconH1(result.checkpoint);
    expect(loaded.config.hidden_size).toBe(96);
    loaded.dispose();
    expect(result.sample?.startsWith('The')).toBe(true);
    expect(output.lines.some((l) => l.includes('held-out loss'))).toBe(true);
    // The loader's own account of the data: one source, all the tokens, part of an epoch.
    expect(output.lines).toContainEqual(
      expect.stringMatching(/^data 'licenses': 100\.0% of the tokens, 0\.\d\d epochs$/),
    );
    // Every phase outside the steps says what it cost: the model's start, each checkpoint (its size is the files'),
    // each evaluation, the final sample.
    expect(output.lines).toContainEqual(expect.stringMatching(/^model initialised in \d+\.\d s$/));
    const files = ['model.safetensors', 'optimizer.safetensors'].map((f) => statSync(join(result.checkpoint, f)).size);
    const size = `${((files[0]! + files[1]!) / 1e6).toFixed(1)} MB`;
    const cost = String.raw`\d+\.\d s \(model [\d.]+ MB [\d.]+ s, optimizer [\d.]+ MB [\d.]+ s, fsync \+ rename [\d.]+ s; [\d.]+ GB/s\)$`;
    const line = new RegExp(
      `^step 40: checkpoint ${result.checkpoint.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}, ${size} in ${cost}`,
    );
    expect(output.lines).toContainEqual(expect.stringMatching(line));
    expect(output.lines).toContainEqual(
      expect.stringMatching(/^step 40: held-out loss \d+\.\d{4} \(2 batches in \d+\.\d s\)$/),
    );
    expect(output.lines).toContainEqual(
      expect.stringMatching(/^final sample: checkpoint loaded in \d+\.\d s, 8 tokens at most generated in \d+\.\d s$/),
    );
  }, 120_000);

  it('batch.gradientCheckpointing (2 of 3 layers, then every layer): the same losses bit for bit; more layers than the model has are refused', async () => {
    const losses: number[][] = [];
    for (const gradientCheckpointing of [false, 2, true]) {
      const { dir, config } = await tinyRun({
        steps: 3,
        eval: undefined,
        schedule: { warmupSteps: 1, decaySteps: 1 },
        batch: { rows: 4, gradientCheckpointing },
      });
      const result = await runTraining(loadTrainConfig(writeConfig(dir, config)), { output: collectOutput() });
      losses.push(new MetricsLog(result.metricsPath).read().map((r) => r.loss));
    }
    expect(losses[0]).toHaveLength(3);
    expect(losses[1]).toEqual(losses[0]);
    expect(losses[2]).toEqual(losses[0]);
    const { dir, config } = await tinyRun({
      steps: 3,
      eval: undefined,
      schedule: { warmupSteps: 1, decaySteps: 1 },
      batch: { rows: 4, gradientCheckpointing: 4 },
    });
    const live = memory().numTensors;
    await expect(runTraining(loadTrainConfig(writeConfig(dir, config)), { output: collectOutput() })).rejects.toThrow(
      /batch\.gradientCheckpointing: 4 layers, but the model has 3/,
    );
    expect(memory().numTensors).toBe(live);
  });
});

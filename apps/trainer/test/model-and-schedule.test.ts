import { join } from 'node:path';
import { falconH1Preset, parseFalconH1Config } from '@falcon-h1/hybrid-block';
import { afterAll, describe, expect, it } from 'vitest';
import '@falcon-h1/backend-reference';
import { readFileSync } from 'node:fs';
import { getBackend } from '@falcon-h1/core-tensor';
import { initialModel, loadTrainConfig, MetricsLog, parameterGroups, resolveShape, runTraining } from '../src/index.js';
import { loadMupTable, runModelConfig } from '../src/model/build-model.js';
import { collectOutput, removeTinyRuns, TINY_A_CONFIG, tinyRun, writeConfig } from './tiny-run.js';

afterAll(removeTinyRuns);

describe('the model section', () => {
  it('a preset with overrides is the preset with those keys replaced', () => {
    const config = resolveShape({ preset: '0.5B', overrides: { num_hidden_layers: 2, vocab_size: 1000 } }, 'model');
    const preset = falconH1Preset('0.5B').config;
    expect(config.num_hidden_layers).toBe(2);
    expect(config.vocab_size).toBe(1000);
    expect(config.hidden_size).toBe(preset.hidden_size);
    expect(config.lm_head_multiplier).toBe(preset.lm_head_multiplier);
  });

  it('a config.json path, and the μP table: forward multipliers into the config, lr/wd multipliers into the groups', async () => {
    const { dir, config } = await tinyRun({
      mup: { table: { forward: { lm_head: -3 }, lr: { embedding: 1, lm_head: -1 }, wd: { norm_final: -30 } } },
    });
    const { config: c } = loadTrainConfig(writeConfig(dir, config));
    const table = loadMupTable(c);
    const modelConfig = runModelConfig(c, table);
    expect(modelConfig.lm_head_multiplier).toBe(2 ** -3);
    expect(modelConfig.hidden_size).toBe(
      parseFalconH1Config(JSON.parse(readFileSync(TINY_A_CONFIG, 'utf8'))).hidden_size,
    );
    const model = initialModel(modelConfig, undefined, 0, getBackend());
    const groups = parameterGroups(model, table, undefined);
    const byGroup = new Map(groups.map((g) => [g.group, g]));
    expect(byGroup.get('embedding')!.lrMultiplier).toBe(2);
    expect(byGroup.get('lm_head')!.lrMultiplier).toBe(0.5);
    expect(byGroup.get('norm_final')!.wdMultiplier).toBe(2 ** -30);
    expect(byGroup.get('mlp_up')!.lrMultiplier).toBe(1);
    // Every parameter is in exactly one group.
    expect(groups.flatMap((g) => g.names).sort()).toEqual([...model.parameters.keys()].sort());
    model.dispose();
  });

  it('with a μP base shape, hidden matrices get lr × base fan-in / fan-in', async () => {
    const { dir, config } = await tinyRun({
      mup: { base: { config: TINY_A_CONFIG, overrides: { hidden_size: 48, intermediate_size: 80 } } },
    });
    const { config: c } = loadTrainConfig(writeConfig(dir, config));
    const model = initialModel(runModelConfig(c, loadMupTable(c)), undefined, 0, getBackend());
    const groups = parameterGroups(model, loadMupTable(c), resolveShape(c.mup!.base!, 'mup.base'));
    const up = groups.find((g) => g.names.includes('model.layers.0.feed_forward.up_proj.weight'))!;
    expect(up.lrMultiplier).toBeCloseTo(48 / 96, 12);
    model.dispose();
  });
});

describe('the schedule and the batch ramp', () => {
  it('lr follows warmup-stable-decay and the batch grows with the tokens seen', async () => {
    const lr = 0.02;
    const { dir, config } = await tinyRun({
      steps: 8,
      data: { ...((await tinyRun()).config.data as object), seqLen: 16 },
      batch: { rows: 4, microRows: 1, ramp: { startRows: 2, incrementRows: 1, tokens: 96 } },
      optimizer: { lr },
      schedule: { warmupSteps: 2, decaySteps: 3, floorFactor: 0.25 },
      eval: undefined,
      checkpoint: { every: 8 },
    });
    const result = await runTraining(loadTrainConfig(writeConfig(dir, config)), { output: collectOutput() });
    const records = new MetricsLog(result.metricsPath).read();
    // Warmup (step/2), constant, then linear decay to 0.25·lr over the last 3 steps.
    const expected = [0.5, 1, 1, 1, 1, 1 - 0.75 / 3, 1 - 1.5 / 3, 0.25].map((f) => f * lr);
    for (const [i, r] of records.entries()) expect(r.lr).toBeCloseTo(expected[i]!, 15);
    // Rows (16 tokens each): 2 while fewer than 48 tokens were seen (96 over 2 increments), 3 below 96, then 4:
    // seen before each step 0, 32, 64, 112, …
    const rows = records.map((r, i) => (r.tokens - (i === 0 ? 0 : records[i - 1]!.tokens)) / 16);
    expect(rows).toEqual([2, 2, 3, 4, 4, 4, 4, 4]);
    expect(join(dir, 'run', 'metrics.jsonl')).toBe(result.metricsPath);
  }, 60_000);
});

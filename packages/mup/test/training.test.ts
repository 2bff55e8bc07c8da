/**
 * A short training run of tiny-a's shape from a random μP init: groups from the seminar table structure with μP
 * width scaling against a half-width base, AdamW, global-norm clipping and a WSD schedule, on one repeated batch.
 * The loss must fall well below its start (memorising 2 × 16 tokens).
 */
import { readFileSync } from 'node:fs';
import '@falcon-h1/backend-reference';
import {
  AdamW,
  clipGradNorm,
  dispose,
  MasterWeights,
  type Tensor,
  tensor,
  valueAndGrads,
} from '@falcon-h1/core-tensor';
import { type FalconH1Config, FalconH1ForCausalLM, parseFalconH1ConfigJson } from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import { mupInitialParameters, mupParamGroups, parseMupTableText, wsdLearningRate } from '../src/index.js';
import { fixtureDir, floats } from './helpers.js';

describe('training', () => {
  it('the loss of a repeated batch falls', { timeout: 120_000 }, async () => {
    const config = parseFalconH1ConfigJson(readFileSync(`${fixtureDir('tiny-a')}/config.json`, 'utf8'), 'tiny-a');
    const base: FalconH1Config = { ...config, hidden_size: 48, intermediate_size: 80 };
    const parameters = mupInitialParameters(config, base, { seed: 7 });
    const model = new FalconH1ForCausalLM(config, parameters);
    const table = parseMupTableText('{"lr": {"A_log": -2, "dt_bias": -2}, "wd": {"norm_mixer": -30, "norm_mlp": -30}}');
    const groups = mupParamGroups(config, model.parameters, { table, base });
    expect(groups.find((g) => g.name.startsWith('mlp_up'))!.lrMultiplier).toBe(0.5);
    const opt = new AdamW(groups, { lr: 0, weightDecay: 0.1, betas: [0.9, 0.95] });
    const steps = 16;
    const schedule = { totalSteps: steps, warmupSteps: 2, decaySteps: 4, floorFactor: 0.1 };
    const ids = tensor(
      Array.from({ length: 32 }, (_, i) => (i * 29 + 3) % 384),
      [2, 16],
      'i32',
    );
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      opt.lr = wsdLearningRate(step, 5e-2, schedule);
      const { value, grads } = valueAndGrads(() => model.loss(ids), opt.parameters);
      losses.push((await floats(value))[0]!);
      const clipped = await clipGradNorm(grads, 1);
      expect(clipped.finite).toBe(true);
      opt.step(clipped.grads);
      dispose([value, grads, clipped.grads]);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[steps - 1]!).toBeLessThan(0.5 * losses[0]!);
    opt.dispose();
    model.dispose();
    ids.dispose();
  });

  it('bf16 parameters with f32 master weights: the loss falls too', { timeout: 120_000 }, async () => {
    const config = parseFalconH1ConfigJson(readFileSync(`${fixtureDir('tiny-a')}/config.json`, 'utf8'), 'tiny-a');
    const model = new FalconH1ForCausalLM(config, mupInitialParameters(config, config, { seed: 11, dtype: 'bf16' }));
    const masters = new MasterWeights([...model.parameters.values()]);
    const byName = new Map([...model.parameters.keys()].map((name, i) => [name, masters.masters[i]!]));
    const opt = new AdamW(mupParamGroups(config, byName), { lr: 5e-2, betas: [0.9, 0.95] });
    const ids = tensor(
      Array.from({ length: 32 }, (_, i) => (i * 17 + 1) % 384),
      [2, 16],
      'i32',
    );
    const losses: number[] = [];
    for (let step = 0; step < 10; step++) {
      const { value, grads } = valueAndGrads(() => model.loss(ids), [...model.parameters.values()]);
      expect(grads[0]!.dtype).toBe('bf16');
      losses.push((await floats(value))[0]!);
      const wide: Tensor[] = masters.masterGrads(grads);
      // The groups order the parameters their own way: hand the gradients over by master variable.
      opt.step(new Map(masters.masters.map((m, i) => [m, wide[i]!])));
      masters.syncToModel();
      dispose([value, grads, wide]);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[9]!).toBeLessThan(0.7 * losses[0]!);
    opt.dispose();
    masters.dispose();
    model.dispose();
    ids.dispose();
  });
});

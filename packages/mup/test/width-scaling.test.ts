/**
 * μP width scaling: per-parameter learning-rate and init scales against a base shape, the initialisation itself,
 * and the forward-multiplier width rules against the published configs (falcon-h1-reference.md §4).
 */
import '@falcon-h1/backend-reference';
import { dispose } from '@falcon-h1/core-tensor';
import {
  type FalconH1Config,
  falconH1Preset,
  parseFalconH1Config,
  randomFalconH1Parameters,
} from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import { mupInitialParameters, scaleForwardMultipliers, widthScaling } from '../src/index.js';
import { floats } from './helpers.js';

const tiny = (hidden: number, layers = 2): FalconH1Config =>
  parseFalconH1Config({
    hidden_size: hidden,
    intermediate_size: 2 * hidden,
    num_hidden_layers: layers,
    num_attention_heads: hidden / 16,
    num_key_value_heads: hidden / 32,
    head_dim: 16,
    mamba_d_ssm: hidden,
    mamba_n_heads: hidden / 16,
    mamba_d_head: 16,
    mamba_n_groups: 1,
    mamba_d_state: 8,
    mamba_chunk_size: 8,
    vocab_size: 64,
  });

describe('width scaling', () => {
  it('hidden matrices get lr × base_fan_in/fan_in and init × √(base_fan_in/fan_in); the rest 1', () => {
    const scales = widthScaling(tiny(128, 3), tiny(32, 1));
    const inProj = scales.get('model.layers.2.mamba.in_proj.weight')!;
    expect(inProj).toMatchObject({
      kind: 'hidden',
      fanIn: 128,
      baseFanIn: 32,
      widthMultiplier: 4,
      lrScale: 0.25,
      initStdScale: 0.5,
    });
    expect(scales.get('model.layers.0.feed_forward.down_proj.weight')).toMatchObject({
      fanIn: 256,
      baseFanIn: 64,
      lrScale: 0.25,
    });
    for (const name of [
      'model.embed_tokens.weight',
      'lm_head.weight',
      'model.layers.1.mamba.A_log',
      'model.final_layernorm.weight',
      'model.layers.0.mamba.conv1d.weight',
    ]) {
      expect(scales.get(name), name).toMatchObject({ widthMultiplier: 1, lrScale: 1, initStdScale: 1 });
    }
  });

  it('refuses a base of another layout', () => {
    expect(() => widthScaling(tiny(64), { ...tiny(32), block_layout: 'SAM' })).toThrow(/pre_ff_layernorm/);
  });

  it('μP init: hidden std 1/√fan_in, embedding and head at the base std whatever the width', async () => {
    const base = tiny(32);
    const config = tiny(256);
    const params = mupInitialParameters(config, base, { seed: 3 });
    const std = async (name: string): Promise<number> => {
      const v = await floats(params.get(name)!);
      return Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    };
    expect(await std('model.embed_tokens.weight')).toBeCloseTo(1 / Math.sqrt(32), 2);
    expect(await std('lm_head.weight')).toBeCloseTo(1 / Math.sqrt(32), 2);
    expect(await std('model.layers.0.feed_forward.up_proj.weight')).toBeCloseTo(1 / Math.sqrt(256), 2);
    dispose([...params.values()]);
  });

  it('μP init is the random init bit for bit, the readouts scaled by √(hidden/base hidden) with one rounding', async () => {
    // mupInitialParameters draws through randomFalconH1Parameters (no per-value work of its own), so it keeps that
    // function's values exactly; only the embedding and head are rescaled, as whole tensors.
    const base = tiny(32);
    const config = tiny(128);
    const mup = mupInitialParameters(config, base, { seed: 5 });
    const random = randomFalconH1Parameters(config, { seed: 5 });
    const readoutScale = Math.sqrt(128 / 32);
    expect([...mup.keys()]).toEqual([...random.keys()]);
    for (const [name, parameter] of mup) {
      const got = (await parameter.data()) as Float32Array;
      const drawn = (await random.get(name)!.data()) as Float32Array;
      const want =
        name === 'model.embed_tokens.weight' || name === 'lm_head.weight' ? drawn.map((x) => x * readoutScale) : drawn;
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), name).toBe(true);
    }
    dispose([...mup.values(), ...random.values()]);
  });

  it('reproduces the published multipliers of 0.5B, 7B and 34B from 1.5B-Deep (the notes’ six digits)', () => {
    const base = falconH1Preset('1.5B-Deep').config;
    // falcon-h1-reference.md §4, in the order 0.5B, 7B, 34B.
    const published = {
      lm_head_multiplier: [0.0390625, 0.0130208, 0.0078125],
      key_multiplier: [0.390625, 0.0306904, 0.0110485],
      attention_in_multiplier: [1, 1, 1],
      attention_out_multiplier: [0.9375, 0.104167, 0.0375],
      ssm_in_multiplier: [1.25, 0.416667, 0.25],
      ssm_out_multiplier: [0.235702, 0.117851, 0.0883883],
      embedding_multiplier: [5.656854, 5.656854, 5.656854],
    };
    const mlp = [
      [0.883883, 0.5859375],
      [0.294628, 0.0325521],
      [0.176777, 0.0111607],
    ];
    const ssm = [
      [0.353553, 0.25, 0.353553, 0.5, 0.353553],
      [0.353553, 0.25, 0.176777, 0.5, 0.353553],
      [0.353553, 0.25, 0.176777, 0.5, 0.353553],
    ];
    // Six significant digits: a relative error up to 5e-6 from the notes' rounding, compounded over the base's.
    const close = (got: number, want: number, what: string): void =>
      expect(Math.abs(got - want) / want, `${what}: ${got} vs ${want}`).toBeLessThan(1.2e-5);
    (['0.5B', '7B', '34B'] as const).forEach((size, i) => {
      const scaled = scaleForwardMultipliers(base, falconH1Preset(size).config);
      for (const [field, values] of Object.entries(published)) {
        close(scaled[field as keyof typeof published] as number, values[i]!, `${size} ${field}`);
      }
      scaled.mlp_multipliers.forEach((m, j) => {
        close(m, mlp[i]![j]!, `${size} mlp[${j}]`);
      });
      scaled.ssm_multipliers.forEach((m, j) => {
        close(m, ssm[i]![j]!, `${size} ssm[${j}]`);
      });
    });
  });
});

/** Every parameter of every model this repository knows maps to exactly one seminar group. */
import { readFileSync } from 'node:fs';
import {
  BLOCK_LAYOUTS,
  FALCON_H1_SIZES,
  type FalconH1Config,
  falconH1ParameterShapes,
  falconH1Preset,
  parseFalconH1ConfigJson,
} from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import { groupParameterNames, MUP_GROUPS, parameterGroup } from '../src/index.js';
import { fixtureDir } from './helpers.js';

const fixture = (name: string): FalconH1Config =>
  parseFalconH1ConfigJson(readFileSync(`${fixtureDir(name)}/config.json`, 'utf8'), name);

const configs: Array<[string, FalconH1Config]> = [
  ['tiny-a', fixture('tiny-a')],
  ['tiny-b', fixture('tiny-b')],
  ...FALCON_H1_SIZES.map((size): [string, FalconH1Config] => [size, falconH1Preset(size).config]),
];

describe('parameter groups', () => {
  for (const [label, config] of configs) {
    it(`${label}: every parameter in exactly one group, every layer alike`, () => {
      const names = falconH1ParameterShapes(config).map((s) => s.name);
      const grouped = groupParameterNames(names);
      const all = [...grouped.values()].flat();
      expect(all.length).toBe(names.length);
      expect(new Set(all)).toEqual(new Set(names));
      // The groups every Falcon-H1 has (norm_gate only with mamba_rms_norm).
      for (const g of MUP_GROUPS) {
        const expected = g === 'norm_gate' ? config.mamba_rms_norm : g !== 'lm_head' || !config.tie_word_embeddings;
        expect(grouped.get(g)!.length > 0, g).toBe(expected);
      }
      expect(grouped.get('A_log')!.length).toBe(config.num_hidden_layers);
      expect(grouped.get('mixer_in_proj')!.length).toBe(4 * config.num_hidden_layers);
    });
  }

  it('every layout and every bias flag', () => {
    const base = fixture('tiny-b');
    for (const block_layout of BLOCK_LAYOUTS) {
      const config = {
        ...base,
        block_layout,
        mlp_bias: true,
        attention_bias: true,
        projectors_bias: true,
        mamba_proj_bias: true,
        tie_word_embeddings: true,
      };
      for (const { name } of falconH1ParameterShapes(config)) expect(() => parameterGroup(name), name).not.toThrow();
    }
    expect(parameterGroup('model.layers.3.pre_attn_layernorm.weight').group).toBe('norm_mixer');
    expect(parameterGroup('model.layers.0.feed_forward.down_proj.bias')).toEqual({ group: 'mlp_down', kind: 'vector' });
    expect(parameterGroup('model.layers.0.self_attn.o_proj.weight')).toEqual({
      group: 'mixer_out_proj',
      kind: 'hidden',
    });
    expect(parameterGroup('model.layers.12.mamba.norm.weight').group).toBe('norm_gate');
  });

  it('refuses a name it does not know', () => {
    expect(() => parameterGroup('model.layers.0.mamba.in_proj.scale')).toThrow(/'model.layers.0.mamba.in_proj.scale'/);
    expect(() => parameterGroup('lm_head.bias')).toThrow(/no μP group/);
  });
});

/**
 * Packed documents: a row holding several documents (document ids) gives, position by position, the logits of
 * each document run alone — through the chunked SSD with chunk boundaries inside and between documents, through
 * the conv, and through block-diagonal attention with positions restarting. Random models in float64 (so the
 * bound is tight), both gating modes and every layout; the golden packed fixtures check the same in f32
 * against transformers (tests/conformance).
 */
import '@falcon-h1/backend-reference';
import { sliceAxis, tensor, tidy } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { type BlockLayout, type FalconH1Config, parseFalconH1Config, randomFalconH1 } from '../src/index.js';
import { relL2 } from './fixtures.js';

function tinyConfig(overrides: Record<string, unknown> = {}): FalconH1Config {
  return parseFalconH1Config({
    vocab_size: 50,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 6,
    mamba_d_ssm: 16,
    mamba_n_heads: 4,
    mamba_d_head: 4,
    mamba_n_groups: 2,
    mamba_d_state: 3,
    mamba_chunk_size: 4,
    mamba_rms_norm: true,
    mamba_norm_before_gate: false,
    rope_parameters: { rope_type: 'default', rope_theta: 1e4 },
    embedding_multiplier: 1.7,
    lm_head_multiplier: 0.6,
    key_multiplier: 0.8,
    attention_in_multiplier: 0.9,
    attention_out_multiplier: 1.1,
    ssm_in_multiplier: 1.2,
    ssm_out_multiplier: 0.7,
    mlp_multipliers: [0.9, 0.6],
    ssm_multipliers: [0.5, 0.8, 0.6, 1.2, 0.9],
    ...overrides,
  });
}

const LAYOUTS = [
  // boundaries at 3 (inside chunk 0), 4 (between chunks), 10 (inside chunk 2); a one-token document
  [3, 1, 6, 4],
  // boundaries between chunks only
  [8, 6],
  // one document
  [14],
];

describe('packed documents', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['SA_M, gated norm, 2 groups', {}],
    ['SA_M, plain y·silu(z), 1 group', { mamba_rms_norm: false, mamba_n_groups: 1 }],
    ['SAM', { block_layout: 'SAM' as BlockLayout }],
    ['S_A_M', { block_layout: 'S_A_M' as BlockLayout }],
  ];
  for (const [label, overrides] of cases) {
    it(`a packed row = each document alone (${label})`, async () => {
      const config = tinyConfig(overrides);
      const model = randomFalconH1(config, { seed: 3, dtype: 'f64' });
      const t = 14;
      const ids = Array.from({ length: LAYOUTS.length * t }, (_, i) => (i * 7 + 3) % config.vocab_size);
      const seq = LAYOUTS.flatMap((row) => row.flatMap((len, d) => new Array<number>(len).fill(d)));
      const packed = tidy(() => model.forward(tensor(ids, [LAYOUTS.length, t], 'i32'), { seqIdx: seq }).logits);
      const v = config.vocab_size;
      const got = (await packed.data()) as Float64Array;
      for (let r = 0; r < LAYOUTS.length; r++) {
        let start = 0;
        for (const len of LAYOUTS[r]!) {
          const alone = tidy(() => {
            const row = sliceAxis(tensor(ids, [LAYOUTS.length, t], 'i32'), 0, r, 1);
            return model.forward(sliceAxis(row, 1, start, len)).logits;
          });
          const want = (await alone.data()) as Float64Array;
          expect(relL2(got.subarray((r * t + start) * v, (r * t + start + len) * v), want)).toBeLessThan(1e-10);
          alone.dispose();
          start += len;
        }
      }
      packed.dispose();
      model.dispose();
    });
  }

  it('decoding after a packed prefill continues the last document alone (SSM, conv and KV)', async () => {
    const config = tinyConfig();
    const model = randomFalconH1(config, { seed: 5, dtype: 'f64' });
    const ids = [4, 9, 13, 21, 8, 30, 2, 17, 11, 40, 6];
    const seq = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]; // the last document starts at 6
    const cache = model.createCache(1);
    const { stepped, alone } = tidy(() => {
      model.forward(tensor(ids.slice(0, 9), [1, 9], 'i32'), { cache, seqIdx: seq.slice(0, 9) });
      const a = model.forward(tensor([ids[9]!], [1, 1], 'i32'), { cache }).logits;
      const b = model.forward(tensor([ids[10]!], [1, 1], 'i32'), { cache }).logits;
      const alone = model.forward(tensor(ids.slice(6), [1, 5], 'i32')).logits;
      return { stepped: [a, b], alone };
    });
    const v = config.vocab_size;
    const want = (await alone.data()) as Float64Array;
    expect(relL2((await stepped[0]!.data()) as Float64Array, want.subarray(3 * v, 4 * v))).toBeLessThan(1e-10);
    expect(relL2((await stepped[1]!.data()) as Float64Array, want.subarray(4 * v, 5 * v))).toBeLessThan(1e-10);
    cache.dispose();
    for (const t of stepped) t.dispose();
    alone.dispose();
    model.dispose();
  });
});

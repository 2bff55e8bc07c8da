/**
 * Decode constants (layer-decode-constants.ts: in_proj split with the μP multipliers folded in, the merged
 * out_proj | o_proj of the parallel layouts, the pre-scaled down projection) change where multipliers are applied,
 * never what a step computes: one-token steps through a cache readied by `prepareDecodeSteps` give the logits of
 * the same steps without constants — every block layout, with and without every bias, f64 and f32 — and bf16 steps
 * with constants stay within bf16 rounding of the f64 steps on the same (bf16-valued) weights. Nothing is left
 * behind once the cache is disposed.
 */
import '@falcon-h1/backend-reference';
import {
  cast,
  type DType,
  dispose,
  memory,
  noGrad,
  reshape,
  type Tensor,
  tensor,
  tidy,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import {
  type BlockLayout,
  type FalconH1Config,
  FalconH1ForCausalLM,
  parseFalconH1Config,
  randomFalconH1Parameters,
} from '../src/index.js';
import { relL2 } from './fixtures.js';

function configFor(layout: BlockLayout, biases: boolean): FalconH1Config {
  return parseFalconH1Config({
    vocab_size: 40,
    num_hidden_layers: 2,
    hidden_size: 16,
    intermediate_size: 24,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 4,
    mamba_d_ssm: 12,
    mamba_n_heads: 4,
    mamba_d_head: 3,
    mamba_n_groups: 2,
    mamba_d_state: 5,
    mamba_chunk_size: 4,
    mamba_rms_norm: layout !== 'SAM', // SAM also covers the plain y·silu(z) gate
    key_multiplier: 0.7,
    attention_in_multiplier: 0.8,
    attention_out_multiplier: 1.3,
    ssm_in_multiplier: 1.1,
    ssm_out_multiplier: 0.6,
    ssm_multipliers: [0.35, 0.25, 0.4, 0.5, 0.3],
    mlp_multipliers: [0.9, 1.2],
    embedding_multiplier: 2,
    lm_head_multiplier: 0.5,
    block_layout: layout,
    attention_bias: biases,
    mlp_bias: biases,
    mamba_proj_bias: biases,
    projectors_bias: biases,
  });
}

const PROMPT = [
  [3, 17, 5, 29, 8],
  [11, 2, 33, 7, 19],
];
const NEXT = [4, 25, 13, 38];

/** The logits [B, V] of each one-token step after a prefill of PROMPT, through a cache with or without constants. */
function stepLogits(model: FalconH1ForCausalLM, constants: DType | undefined): Float64Array[] {
  const b = PROMPT.length;
  const cache = model.createCache(b);
  if (constants) cache.prepareDecodeSteps(model.model.layers, constants);
  const out = tidy(() => {
    model.forward(tensor(PROMPT.flat(), [b, PROMPT[0]!.length], 'i32'), { cache });
    return NEXT.map((token) => {
      const logits = model.forward(tensor(new Array<number>(b).fill(token), [b, 1], 'i32'), { cache }).logits;
      return Float64Array.from(reshape(logits, [b, -1]).dataSync() as ArrayLike<number>);
    });
  });
  cache.dispose();
  return out;
}

/** The same model with every parameter cast to `dtype`. */
function castModel(config: FalconH1Config, parameters: Map<string, Variable>, dtype: DType): FalconH1ForCausalLM {
  const cast64 = noGrad(
    () => new Map([...parameters].map(([name, p]) => [name, variable(cast(p as Tensor, dtype), { name })])),
  );
  return new FalconH1ForCausalLM(config, cast64);
}

describe('decode constants', () => {
  for (const layout of ['SA_M', 'SAM', 'S_A_M'] as const) {
    for (const biases of [false, true]) {
      for (const dtype of ['f64', 'f32'] as const) {
        it(`${layout}, ${biases ? 'every bias' : 'no biases'}, ${dtype}: steps with constants = steps without`, () => {
          const config = configFor(layout, biases);
          const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 5, dtype }));
          const before = memory().numTensors;
          const plain = stepLogits(model, undefined);
          const folded = stepLogits(model, dtype);
          // f64: the same arithmetic up to rounding; f32: each multiplier is rounded into its weight once.
          const bound = dtype === 'f64' ? 1e-12 : 1e-5;
          folded.forEach((got, s) => {
            expect(relL2(got, plain[s]!)).toBeLessThan(bound);
          });
          expect(memory().numTensors).toBe(before);
          dispose([...model.parameters.values()]);
        });
      }
    }
    it(`${layout}: bf16 steps with constants stay within bf16 rounding of the f64 steps on the same weights`, () => {
      const config = configFor(layout, true);
      const parameters = randomFalconH1Parameters(config, { seed: 5, dtype: 'bf16' });
      const low = new FalconH1ForCausalLM(config, parameters);
      const wide = castModel(config, parameters, 'f64');
      const got = stepLogits(low, 'bf16');
      const want = stepLogits(wide, undefined);
      got.forEach((logits, s) => {
        expect(relL2(logits, want[s]!)).toBeLessThan(2e-2);
      });
      dispose([...parameters.values(), ...wide.parameters.values()]);
    });
  }
});

/**
 * Decode constants (layer-decode-constants.ts: in_proj split with the μP multipliers folded in, the merged
 * out_proj | o_proj of the parallel layouts, the packed gate_proj | up_proj read by SwiGluPacked, the pre-scaled down
 * projection) change where multipliers are applied,
 * never what a step computes: one-token steps through a cache readied by `prepareDecodeSteps` give the logits of
 * the same steps without constants — every block layout, with and without every bias, f64 and f32 — and bf16 steps
 * with constants stay within bf16 rounding of the f64 steps on the same (bf16-valued) weights. Nothing is left
 * behind once the cache is disposed. Each residual add that a norm reads runs fused with it (AddRmsNorm, across
 * layers too: a layer's output with the next layer's input_layernorm). The static decoder's steps (its constants add the packed q|k|v projection of
 * the fused AttentionDecodeStep, multipliers folded as attention folds them) give the hybrid cache's logits too.
 */
import '@falcon-h1/backend-reference';
import {
  cast,
  type DType,
  dispatchCounts,
  dispose,
  memory,
  noGrad,
  resetDispatchCounts,
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
  leftPadBatch,
  parseFalconH1Config,
  randomFalconH1Parameters,
  StaticDecoder,
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

/**
 * The AddRmsNorm kernels of one decode step with constants: each residual add a norm reads — inside the layer
 * (SA_M: pre_ff; S_A_M: pre_attn and pre_ff) and across layers (the next layer's input_layernorm after layer 0, the
 * final norm after the last).
 */
function fusedNormsPerStep(layout: BlockLayout, layers: number): number {
  const inside = { SA_M: 1, SAM: 0, S_A_M: 2 }[layout];
  return layers * inside + layers;
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
          resetDispatchCounts();
          const folded = stepLogits(model, dtype);
          // Every residual add a norm reads ran fused with it (AddRmsNorm), the prefill's none.
          const fused = dispatchCounts().AddRmsNorm;
          expect(fused).toEqual({ native: NEXT.length * fusedNormsPerStep(layout, 2), fallback: 0 });
          // Each step's MLP read its one packed gate|up projection (SwiGluPacked); SwiGlu ran in the prefill only.
          expect(dispatchCounts().SwiGluPacked).toEqual({ native: NEXT.length * 2, fallback: 0 });
          expect(dispatchCounts().SwiGlu).toEqual({ native: 2, fallback: 0 });
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

describe('the layer decode step', () => {
  it('refuses a call without a prefilled cache with decode constants, saying what it needs', () => {
    const config = configFor('SA_M', false);
    const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 5, dtype: 'f32' }));
    tidy(() => {
      const h = cast(tensor(new Array<number>(16).fill(0.5), [1, 1, 16]), 'f32');
      const positions = tensor([0], [1, 1], 'i32');
      expect(() => model.model.layers[0]!.decodeStep(h, { positions })).toThrow(
        /decodeStep: needs one token \(\[B, 1, D\]\) after a prefill, with decode constants in the layer cache/,
      );
    });
    dispose([...model.parameters.values()]);
  });
});

describe('decode constants of the static decoder (packed q|k|v + AttentionDecodeStep)', () => {
  // Rows of different lengths: the shorter one is left-padded (a document after padding).
  const prompts = [PROMPT[0]!, PROMPT[1]!.slice(0, 3)];
  for (const layout of ['SA_M', 'SAM', 'S_A_M'] as const) {
    for (const biases of [false, true]) {
      it(`${layout}, ${biases ? 'every bias' : 'no biases'}, f64: static steps = hybrid-cache steps without constants`, () => {
        const config = configFor(layout, biases);
        const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 7, dtype: 'f64' }));
        const before = memory().numTensors;
        const decoder = new StaticDecoder(model, prompts, { maxLength: 5 + NEXT.length });
        const padded = leftPadBatch(prompts, 0);
        const cache = model.createCache(prompts.length);
        tidy(() => {
          const ids = tensor(padded.ids, [prompts.length, padded.length], 'i32');
          model.forward(ids, { cache, seqIdx: padded.seqIdx });
        });
        resetDispatchCounts();
        for (const token of NEXT) {
          decoder.setTokens(prompts.map(() => token));
          const got = Float64Array.from(decoder.step().logits.dataSync() as Float64Array);
          const want = tidy(() => {
            const ids = tensor(new Array<number>(prompts.length).fill(token), [prompts.length, 1], 'i32');
            const logits = reshape(model.forward(ids, { cache }).logits, [prompts.length, -1]);
            return Float64Array.from(logits.dataSync() as Float64Array);
          });
          expect(relL2(got, want)).toBeLessThan(1e-12);
        }
        expect(dispatchCounts().AttentionDecodeStep?.native).toBe(NEXT.length * config.num_hidden_layers);
        expect(dispatchCounts().AddRmsNorm?.native).toBe(NEXT.length * fusedNormsPerStep(layout, 2));
        decoder.dispose();
        cache.dispose();
        expect(memory().numTensors).toBe(before);
        dispose([...model.parameters.values()]);
      });
    }
  }
});

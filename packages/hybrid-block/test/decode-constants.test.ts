/**
 * Decode constants (layer-decode-constants.ts: in_proj split with the μP multipliers folded in, the merged
 * out_proj | o_proj of the parallel layouts, the packed gate_proj | up_proj read by SwiGluPacked, the pre-scaled down
 * projection) change where multipliers are applied,
 * never what a step computes: one-token steps through a cache readied by `prepareDecodeSteps` give the logits of
 * the same steps without constants — every block layout, with and without every bias, f64 and f32 — and bf16 steps
 * with constants stay within bf16 rounding of the f64 steps on the same (bf16-valued) weights. Nothing is left
 * behind once the cache is disposed. Each residual add that a norm reads runs fused with it (AddRmsNorm, across
 * layers too: a layer's output with the next layer's input_layernorm). The static decoder's steps (its constants add
 * the packed q|k|v projection of the fused AttentionDecodeStep, multipliers folded as attention folds them — for SA_M
 * and SAM stacked under in_proj as one projection, `branchesIn`, whose values are exactly the separate constants'
 * and which replaces them: no memory beyond theirs) give the hybrid cache's logits too, their Mamba2 states updated
 * in place by SsmDecodeStepInPlace (with the plain gate, SA_M and SAM: ParallelMixersDecodeStep, both mixers' steps).
 */
import '@falcon-h1/backend-reference';
import { attentionDecodeConstants, disposeAttentionDecodeConstants } from '@falcon-h1/attention';
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
  disposeLayerDecodeConstants,
  type FalconH1Config,
  FalconH1ForCausalLM,
  leftPadBatch,
  randomFalconH1Parameters,
  StaticDecoder,
} from '../src/index.js';
import { relL2 } from './fixtures.js';
import { configFor } from './tiny-config.js';

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
      // The static decoder's constants (in_proj | q|k|v merged) over the hybrid cache's concatenating KV cache.
      const cache = model.createCache(1);
      model.forward(tensor([3, 4], [1, 2], 'i32'), { cache });
      const layer = cache.layers[0]!;
      layer.decodeConstants = model.model.layers[0]!.decodeConstants('f32', { staticCache: true });
      expect(() => model.model.layers[0]!.decodeStep(h, { positions, cache: layer })).toThrow(
        /decode constants made with staticCache need a StaticKVCache in the layer cache/,
      );
      cache.dispose();
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
        // SA_M and SAM with the plain y·silu(z) gate (SAM here) run both mixers' steps as one kernel; the others
        // one SsmDecodeStepInPlace and one AttentionDecodeStep per layer.
        const layerSteps = NEXT.length * config.num_hidden_layers;
        const parallel = layout !== 'S_A_M' && !config.mamba_rms_norm;
        expect(dispatchCounts().ParallelMixersDecodeStep?.native).toBe(parallel ? layerSteps : undefined);
        expect(dispatchCounts().AttentionDecodeStep?.native).toBe(parallel ? undefined : layerSteps);
        // Every residual add a norm reads ran fused with it; in SA_M without biases each such norm but the first
        // layer's input_layernorm (no pending add there) also with what alone reads it — the second layer's
        // input_layernorm with its projection (AddRmsNormMatMul), each pre_ff_layernorm with the whole MLP
        // (AddRmsNormSwiGluMlp) —, and in SAM without biases SwiGluPacked with the down projection.
        const fusedSaM = layout === 'SA_M' && !biases;
        const norms = dispatchCounts().AddRmsNorm?.native ?? 0;
        expect([
          norms,
          dispatchCounts().AddRmsNormMatMul?.native ?? 0,
          dispatchCounts().AddRmsNormSwiGluMlp?.native ?? 0,
        ]).toEqual([
          NEXT.length * (fusedNormsPerStep(layout, 2) - (fusedSaM ? 3 : 0)),
          NEXT.length * (fusedSaM ? 1 : 0),
          NEXT.length * (fusedSaM ? 2 : 0),
        ]);
        const downFused = layout === 'SAM' && !biases ? 2 : 0;
        expect(dispatchCounts().SwiGluPackedMatMul?.native ?? 0).toBe(NEXT.length * downFused);
        // Every layer's states updated in place (by either kernel); the functional fused step never ran (the reference steps have no
        // constants: their conv update and SSM step are separate kernels).
        expect(dispatchCounts().SsmDecodeStepInPlace?.native).toBe(parallel ? undefined : layerSteps);
        expect(dispatchCounts().SsmDecodeStep).toBeUndefined();
        decoder.dispose();
        cache.dispose();
        expect(memory().numTensors).toBe(before);
        dispose([...model.parameters.values()]);
      });
    }
  }
});

describe('the static decoder in bf16', () => {
  // SA_M with the gated RMSNorm: the merged row is bf16, z is cast to f32 for the norm and the norm's output back.
  it('SA_M, gated norm, every bias: static steps stay within bf16 rounding of the f64 hybrid-cache steps', () => {
    const config = configFor('SA_M', true);
    const parameters = randomFalconH1Parameters(config, { seed: 9, dtype: 'bf16' });
    const low = new FalconH1ForCausalLM(config, parameters);
    const wide = castModel(config, parameters, 'f64');
    const decoder = new StaticDecoder(low, PROMPT, { maxLength: 5 + NEXT.length });
    const want = stepLogits(wide, undefined);
    NEXT.forEach((token, s) => {
      decoder.setTokens(PROMPT.map(() => token));
      const got = Float64Array.from(decoder.step().logits.dataSync() as ArrayLike<number>);
      expect(relL2(got, want[s]!)).toBeLessThan(2e-2);
    });
    decoder.dispose();
    dispose([...parameters.values(), ...wide.parameters.values()]);
  });
});

/** Bytes the reference backend holds now. */
const heldBytes = (): number => memory().backends.reference!.bytes;

const flat = (t: Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>);

describe('the merged input projection of the static decoder (branchesIn)', () => {
  const biasCases = [
    ['no biases', false, {}],
    ['every bias', true, {}],
    ['an in_proj bias only (q|k|v part of the bias: zeros)', false, { mamba_proj_bias: true }],
  ] as const;
  for (const layout of ['SA_M', 'SAM', 'S_A_M'] as const) {
    for (const [label, biases, overrides] of biasCases) {
      it(`${layout}, ${label}: [in_proj ; q|k|v] equals the separate constants stacked, and replaces them`, () => {
        const config = configFor(layout, biases, overrides);
        const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 3, dtype: 'f64' }));
        const layer = model.model.layers[1]!;
        const before = memory().numTensors;
        // The separate constants (generate()'s, and attention's packed q|k|v), and what each adds to memory.
        let bytes = heldBytes();
        const separate = layer.decodeConstants('f64');
        const separateBytes = heldBytes() - bytes;
        bytes = heldBytes();
        const attention = attentionDecodeConstants(layer.self_attn, config.attention_in_multiplier);
        const attentionBytes = heldBytes() - bytes;
        bytes = heldBytes();
        const merged = layer.decodeConstants('f64', { staticCache: true });
        const mergedBytes = heldBytes() - bytes;
        if (layout === 'S_A_M') {
          // Sequential branches read different inputs: nothing to merge.
          expect(merged.branchesIn).toBeUndefined();
          expect(merged.mixer.inProj).toBeDefined();
          expect(merged.attention).toBeDefined();
          expect(mergedBytes).toBe(separateBytes + attentionBytes);
        } else {
          const inProj = separate.mixer.inProj!;
          const qkv = attention.qkv;
          expect(merged.mixer.inProj).toBeUndefined();
          expect(merged.attention).toBeUndefined();
          const branchesIn = merged.branchesIn!;
          expect(branchesIn.weight.shape).toEqual([inProj.weight.shape[0]! + qkv.weight.shape[0]!, config.hidden_size]);
          expect(flat(branchesIn.weight)).toEqual([...flat(inProj.weight), ...flat(qkv.weight)]);
          const zeros = (rows: number): number[] => new Array<number>(rows).fill(0);
          const biasOf = (p: { weight: Tensor; bias?: Tensor }): number[] =>
            p.bias ? flat(p.bias) : zeros(p.weight.shape[0]!);
          if (!inProj.bias && !qkv.bias) expect(branchesIn.bias).toBeUndefined();
          else expect(flat(branchesIn.bias!)).toEqual([...biasOf(inProj), ...biasOf(qkv)]);
          // One copy of each weight: the separate copies are not kept (a missing bias's zeros are the only extra).
          const zeroBias = inProj.bias && !qkv.bias ? qkv.weight.shape[0]! * 8 : 0;
          expect(mergedBytes).toBe(separateBytes + attentionBytes + zeroBias);
        }
        for (const constants of [separate, merged]) disposeLayerDecodeConstants(constants);
        disposeAttentionDecodeConstants(attention);
        expect(memory().numTensors).toBe(before);
        dispose([...model.parameters.values()]);
      });
    }
  }

  it('a layer whose q|k|v weights are not in the activations dtype keeps the separate constants', () => {
    const config = configFor('SA_M', false);
    const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 3, dtype: 'f32' }));
    const constants = model.model.layers[0]!.decodeConstants('f64', { staticCache: true });
    expect(constants.branchesIn).toBeUndefined();
    expect(constants.mixer.inProj?.weight.dtype).toBe('f64');
    expect(constants.attention?.qkv.weight.dtype).toBe('f32');
    disposeLayerDecodeConstants(constants);
    dispose([...model.parameters.values()]);
  });
});

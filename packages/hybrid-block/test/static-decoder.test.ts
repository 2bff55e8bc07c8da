/**
 * The static decode step (fixed-capacity caches updated in place, the shape a captured graph needs) against
 * `generate()` and the hybrid cache on the golden fixtures (SA_M, with and without the gated RMSNorm): the same
 * greedy tokens, the same logits at every step, for a left-padded batch of prompts of different lengths; no tensors
 * left behind; the same greedy tokens for random SAM and S_A_M models. Backends here cannot capture
 * graphs, so the step runs eagerly — the graph replay itself is checked on the GPU host (tools/cuda/bench-model.ts
 * compares replayed tokens with eager ones).
 */
import '@falcon-h1/backend-reference';
import {
  canCaptureGraphs,
  captureGraph,
  dispatchCounts,
  dispose,
  memory,
  resetDispatchCounts,
  reshape,
  setFallbackPolicy,
  sliceAxis,
  tensor,
  tidy,
} from '@falcon-h1/core-tensor';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  FalconH1ForCausalLM,
  generate,
  leftPadBatch,
  loadFalconH1,
  randomFalconH1Parameters,
  StaticDecoder,
} from '../src/index.js';
import { fixtureDir, relL2 } from './fixtures.js';
import { configFor } from './tiny-config.js';

const PROMPTS = [
  [1, 17, 42, 99, 5, 63, 7],
  [1, 200, 3],
];

describe('StaticDecoder', () => {
  // 'native': the reference backend's AttentionDecodeStep writes each layer's keys and values in place and attends,
  // its SsmDecodeStepInPlace updates each layer's conv and SSM states in place, its CacheWrite kernel writes the
  // shared document ids; 'composition': core's fallbacks (what backends without the kernels run): AttentionDecodeStep
  // as rope + CacheWrite + attention (+ Concat of the prefix), SsmDecodeStepInPlace as SsmDecodeStep + overwrites,
  // CacheWrite as Where + overwrite, AddRmsNorm as Add + RmsNorm, SwiGluPacked as two Slices + SwiGlu.
  // (tiny-a: SA_M with the gated RMSNorm; tiny-b: SA_M with the plain y·silu(z) gate.)
  for (const [name, cacheWritePath] of [
    ['tiny-a', 'native'],
    ['tiny-b', 'native'],
    ['tiny-a', 'composition'],
  ] as const) {
    it(`${name}: greedy tokens and logits equal generate() and the hybrid cache, step by step (decode kernels ${cacheWritePath})`, async () => {
      setFallbackPolicy(
        cacheWritePath === 'native'
          ? 'none'
          : ['CacheWrite', 'AttentionDecodeStep', 'SsmDecodeStepInPlace', 'AddRmsNorm', 'SwiGluPacked'],
      );
      resetDispatchCounts();
      onTestFinished(() => setFallbackPolicy('none'));
      const model = await loadFalconH1(fixtureDir(name));
      const steps = 6;
      const want = await generate(model, PROMPTS, { maxNewTokens: steps + 1, stopTokens: [] });
      const before = memory().numTensors;
      const decoder = new StaticDecoder(model, PROMPTS, { maxLength: 7 + steps + 1 });
      expect(decoder.captures).toBe(false);
      // The hybrid cache's logits for the same inputs, one token at a time, as the reference for each step.
      const padded = leftPadBatch(PROMPTS, 0);
      const cache = model.createCache(2);
      const prefill = tensor(padded.ids, [2, padded.length], 'i32');
      tidy(() => model.forward(prefill, { cache, seqIdx: padded.seqIdx, logitsToKeep: 1 }).logits).dispose();
      prefill.dispose();
      const got: number[][] = PROMPTS.map(() => []);
      const first = (await decoder.nextTokens.data()) as Int32Array;
      first.forEach((t, row) => {
        got[row]!.push(t);
      });
      for (let s = 0; s < steps; s++) {
        const input = tensor(
          got.map((row) => row[row.length - 1]!),
          [2, 1],
          'i32',
        );
        const reference = tidy(() => reshape(model.forward(input, { cache }).logits, [2, model.config.vocab_size]));
        input.dispose();
        const { logits, tokens } = decoder.step();
        expect(relL2(await logits.data(), (await reference.data()) as Float32Array)).toBeLessThan(1e-6);
        reference.dispose();
        ((await tokens.data()) as Int32Array).forEach((t, row) => {
          got[row]!.push(t);
        });
      }
      expect(decoder.length).toBe(7 + steps);
      cache.dispose();
      decoder.dispose();
      expect(memory().numTensors).toBe(before);
      expect(got).toEqual(want.sequences);
      // One fused step per attention layer; one write of the shared document ids per step, plus (composed steps)
      // keys and values per attention layer.
      const layers = steps * model.config.num_hidden_layers;
      const native = cacheWritePath === 'native';
      // tiny-b's plain gate: both mixers' steps as one kernel (parallel-mixers.test.ts compares it with the two).
      const parallel = !model.config.mamba_rms_norm;
      expect(dispatchCounts().ParallelMixersDecodeStep).toEqual(parallel ? { native: layers, fallback: 0 } : undefined);
      const apart = parallel ? undefined : native ? { native: layers, fallback: 0 } : { native: 0, fallback: layers };
      expect(dispatchCounts().AttentionDecodeStep).toEqual(apart);
      expect(dispatchCounts().CacheWrite).toEqual(
        native ? { native: steps, fallback: 0 } : { native: 0, fallback: steps + 2 * layers },
      );
      expect(dispatchCounts().SsmDecodeStepInPlace).toEqual(apart);
      // Decoder steps and the hybrid-cache reference steps (whose cache has no decode constants: no fusion) alike.
      expect(dispatchCounts().AddRmsNorm?.[native ? 'native' : 'fallback']).toBeGreaterThan(0);
      expect(dispatchCounts().SwiGluPacked?.[native ? 'native' : 'fallback']).toBeGreaterThan(0);
      model.dispose();
    });
  }

  // The ablation layouts (random tiny models): SAM's steps merge in_proj | q|k|v too, S_A_M's keep them separate.
  for (const layout of ['SAM', 'S_A_M'] as const) {
    it(`${layout}: greedy tokens equal generate()`, async () => {
      const config = configFor(layout, false);
      const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 13, dtype: 'f32' }));
      const prompts = [PROMPTS[0]!.map((t) => t % config.vocab_size), [5, 9]];
      const steps = 5;
      const want = await generate(model, prompts, { maxNewTokens: steps + 1, stopTokens: [] });
      const decoder = new StaticDecoder(model, prompts, { maxLength: 7 + steps + 1 });
      const got: number[][] = Array.from((await decoder.nextTokens.data()) as Int32Array, (t) => [t]);
      for (let s = 0; s < steps; s++) {
        ((await decoder.step().tokens.data()) as Int32Array).forEach((t, row) => {
          got[row]!.push(t);
        });
      }
      expect(got).toEqual(want.sequences);
      decoder.dispose();
      dispose([...model.parameters.values()]);
    });
  }

  it('refuses a full cache, a too-short capacity and bad token ids with clear errors', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-a'));
    expect(() => new StaticDecoder(model, PROMPTS, { maxLength: 7 })).toThrow(/maxLength 7 must be .* above .* 7/);
    const decoder = new StaticDecoder(model, PROMPTS, { maxLength: 8 });
    decoder.step();
    expect(() => decoder.step()).toThrow(/the cache is full \(maxLength 8\)/);
    expect(() => decoder.setTokens([1])).toThrow(/1 ids for 2 rows/);
    expect(() => decoder.setTokens([1, 384])).toThrow(/row 1: id 384 is not in \[0, 384\)/);
    decoder.setTokens([5, 6]);
    expect(Array.from((await decoder.nextTokens.data()) as Int32Array)).toEqual([5, 6]);
    expect(() => new StaticDecoder(model, PROMPTS, { maxLength: 16, capture: true })).toThrow(
      /backend 'reference' cannot capture graphs/,
    );
    decoder.dispose();
    model.dispose();
  });

  it('captureGraph names the backend that cannot capture', () => {
    expect(canCaptureGraphs()).toBe(false);
    const x = tensor([1, 2, 3], [3]);
    expect(() => captureGraph(() => sliceAxis(x, 0, 0, 1))).toThrow(/backend 'reference' cannot capture graphs/);
    x.dispose();
  });
});

/**
 * The inference mode (FalconH1ForCausalLM.prepareInference, inference-constants.ts): forward passes with the
 * model's inference constants give the plain forward's logits on the golden fixtures — SA_M with the gated RMSNorm
 * (tiny-a) and with the plain gate (tiny-b), packed rows with document ids (tiny-a-packed) — within 1e-5 relative L2
 * in f32 and 1e-2 in bf16, and the golden greedy continuations through generate() and the StaticDecoder (which
 * borrows the model's constants), and through a hybrid cache a left-padded prefill and one-token calls give the
 * plain calls' logits. Training is untouched: under a gradient tape the forward pass runs the plain
 * parameters (the same kernels, the same loss and gradients bit for bit). The rule for changed weights: a parameter
 * replaced by `assign` is noticed and the constants rebuilt; one updated in place (AdamW) is not, until
 * `prepareInference()` runs again; `releaseInference()` and `dispose()` free every copy.
 */
import '@falcon-h1/backend-reference';
import {
  adamW,
  add,
  cast,
  dispatchCounts,
  dispose,
  mean,
  memory,
  mul,
  noGrad,
  ones,
  resetDispatchCounts,
  type Tensor,
  tensor,
  tidy,
  type Variable,
  valueAndGrads,
  variable,
  zeros,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import {
  type ComputeDType,
  FalconH1ForCausalLM,
  generate,
  leftPadBatch,
  loadFalconH1,
  StaticDecoder,
} from '../src/index.js';
import { fixtureDir, readGolden, relL2 } from './fixtures.js';

/** The fixture's logits for its golden input ids (and document ids, where it has them), all positions. */
function logitsOf(model: FalconH1ForCausalLM, fixture: string): Float64Array {
  const golden = readGolden(fixture);
  const ids = golden.get('input_ids')!;
  const seqIdx = golden.get('seq_idx');
  return tidy(() => {
    const logits = model.forward(tensor(ids.values, ids.shape, 'i32'), {
      seqIdx: seqIdx && tensor(seqIdx.values, seqIdx.shape, 'i32'),
    }).logits;
    return Float64Array.from(logits.dataSync() as ArrayLike<number>);
  });
}

/** The golden greedy generation: each row's prompt and transformers' continuation. */
function goldenGeneration(fixture: string): { prompts: number[][]; continuations: number[][] } {
  const golden = readGolden(fixture);
  const promptLength = golden.get('generate.prompt_len')!.values[0]!;
  const output = golden.get('generate.output_ids')!;
  const [rows, width] = output.shape as [number, number];
  const row = (r: number): number[] => Array.from({ length: width }, (_, i) => output.values[r * width + i]!);
  const all = Array.from({ length: rows }, (_, r) => row(r));
  return { prompts: all.map((r) => r.slice(0, promptLength)), continuations: all.map((r) => r.slice(promptLength)) };
}

/** The same model computing in f64: the oracle of a bf16 model's arithmetic (its weights exactly, widened). */
function wideCopy(model: FalconH1ForCausalLM): FalconH1ForCausalLM {
  const wide = noGrad(
    () => new Map([...model.parameters].map(([name, p]) => [name, variable(cast(p as Tensor, 'f64'), { name })])),
  );
  return new FalconH1ForCausalLM(model.config, wide);
}

/**
 * The layers whose MLP ran from the constants since the last reset: each closes with one fused MLP kernel —
 * AddRmsNormSwiGluMlp (SA_M, bias-free: its norm and the whole MLP) or SwiGluPackedMatMul (the down projection).
 */
const fusedMlps = (): number =>
  (dispatchCounts().AddRmsNormSwiGluMlp?.native ?? 0) + (dispatchCounts().SwiGluPackedMatMul?.native ?? 0);

describe('inference constants on the golden fixtures', () => {
  for (const fixture of ['tiny-a', 'tiny-b', 'tiny-a-packed']) {
    it(`${fixture}, f32: the logits of every position equal the plain forward's within 1e-5`, async () => {
      const model = await loadFalconH1(fixtureDir(fixture));
      const before = memory().numTensors;
      const plain = logitsOf(model, fixture);
      model.prepareInference();
      resetDispatchCounts();
      const folded = logitsOf(model, fixture);
      // The merged projections ran (a fused MLP closes every layer).
      expect(fusedMlps()).toBe(model.config.num_hidden_layers);
      expect(relL2(folded, plain)).toBeLessThan(1e-5);
      model.releaseInference();
      expect(memory().numTensors).toBe(before);
      model.dispose();
    });

    it(`${fixture}, bf16: the logits stay within bf16 rounding of the f64 computation on the same weights`, async () => {
      const model = await loadFalconH1(fixtureDir(fixture), { dtype: 'bf16' as ComputeDType });
      const wide = wideCopy(model);
      const want = logitsOf(wide, fixture);
      const plainError = relL2(logitsOf(model, fixture), want);
      model.prepareInference();
      const error = relL2(logitsOf(model, fixture), want);
      // No worse than the plain bf16 forward (every fixture: the multipliers are rounded once into the weights and
      // silu(z) is not rounded to bf16 before the gate's product) …
      expect(error).toBeLessThanOrEqual(plainError);
      // … and within the bf16 bound where the plain forward is (tiny-b's plain bf16 logits are 1.10e-2 from the f64
      // computation over all 69 positions, the constants' 1.03e-2: the bound is the plain path's, not this one's).
      if (fixture !== 'tiny-b') expect(error).toBeLessThan(1e-2);
      model.dispose();
      wide.dispose();
    });
  }

  for (const fixture of ['tiny-a', 'tiny-b']) {
    it(`${fixture}: generate() and the StaticDecoder give the golden greedy continuations through the constants`, async () => {
      const model = await loadFalconH1(fixtureDir(fixture));
      const { prompts, continuations } = goldenGeneration(fixture);
      const n = continuations[0]!.length;
      const greedy = { maxNewTokens: n, minNewTokens: n, stopTokens: [] };
      const plain = await generate(model, prompts, greedy);
      model.prepareInference();
      const before = memory().numTensors;
      resetDispatchCounts();
      const folded = await generate(model, prompts, greedy);
      // The prefill ran through the constants (a fused MLP: generate()'s own steps keep SwiGluPacked apart).
      expect(fusedMlps()).toBe(model.config.num_hidden_layers);
      expect(folded.sequences).toEqual(continuations);
      expect(plain.sequences).toEqual(continuations);
      // The decoder borrows the model's constants: none made, none freed.
      const decoder = new StaticDecoder(model, prompts, { maxLength: prompts[0]!.length + n });
      const tokens: number[][] = Array.from((await decoder.nextTokens.data()) as Int32Array, (t) => [t]);
      for (let s = 1; s < n; s++) {
        ((await decoder.step().tokens.data()) as Int32Array).forEach((t, row) => {
          tokens[row]!.push(t);
        });
      }
      decoder.dispose();
      expect(tokens).toEqual(continuations);
      // A decoder asking for the two mixers' steps apart borrows them too (tiny-b's plain gate: one kernel otherwise).
      resetDispatchCounts();
      const apart = new StaticDecoder(model, prompts, { maxLength: prompts[0]!.length + 3, parallelMixers: false });
      const second = Array.from((await apart.step().tokens.data()) as Int32Array);
      apart.dispose();
      expect(second).toEqual(continuations.map((row) => row[1]));
      expect(dispatchCounts().ParallelMixersDecodeStep).toBeUndefined();
      expect(memory().numTensors).toBe(before);
      model.dispose();
    });
  }
});

describe('calls through a hybrid cache', () => {
  it('a left-padded prefill, then one-token calls (a cache without decode constants): the plain logits', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-a'));
    const padded = leftPadBatch(
      [
        [1, 17, 42, 99, 5, 63, 7],
        [1, 200, 3],
      ],
      0,
    );
    const run = (): Float64Array[] => {
      const cache = model.createCache(2);
      const out = tidy(() => {
        const logits = [model.forward(tensor(padded.ids, [2, padded.length], 'i32'), { cache, seqIdx: padded.seqIdx })];
        for (const token of [4, 25, 13]) logits.push(model.forward(tensor([token, token], [2, 1], 'i32'), { cache }));
        return logits.map((l) => Float64Array.from(l.logits.dataSync() as ArrayLike<number>));
      });
      cache.dispose();
      return out;
    };
    const plain = run();
    model.prepareInference();
    resetDispatchCounts();
    const folded = run();
    // Every call ran the layers from the constants (a fused MLP closes each layer).
    expect(fusedMlps()).toBe(4 * model.config.num_hidden_layers);
    folded.forEach((logits, call) => {
      expect(relL2(logits, plain[call]!), `call ${call}`).toBeLessThan(1e-5);
    });
    model.dispose();
  });
});

describe('training keeps the plain parameters', () => {
  it('under a gradient tape the forward pass and the loss run the plain layers: the same values and gradients', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-b'));
    const ids = tensor(readGolden('tiny-b').get('input_ids')!.values, [3, 23], 'i32');
    const parameters = [...model.parameters.values()];
    // An objective through forward() (the logits) and the training loss, differentiated with and without constants.
    const objective = (): Tensor => {
      const logits = model.forward(ids).logits;
      return add(model.loss(ids), mean(logits));
    };
    const run = (): Float64Array[] =>
      tidy(() => {
        const { value, grads } = valueAndGrads(objective, parameters);
        return [value, ...grads].map((t) => Float64Array.from(t.dataSync() as ArrayLike<number>));
      });
    const plain = run();
    model.prepareInference();
    resetDispatchCounts();
    const taped = run();
    expect(taped).toEqual(plain);
    // No fused inference kernel ran: the tape saw the plain layers.
    expect(dispatchCounts().AddRmsNormMatMul).toBeUndefined();
    expect(dispatchCounts().SwiGluPackedMatMul).toBeUndefined();
    expect(dispatchCounts().AddRmsNormSwiGluMlp).toBeUndefined();
    ids.dispose();
    model.dispose();
  });

  it('hidden states asked for: the plain layers (each layer output is returned as it is)', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-a'));
    const ids = tensor([1, 17, 42, 99, 5], [1, 5], 'i32');
    const states = (): Float64Array[] =>
      tidy(() =>
        model
          .forward(ids, { outputHiddenStates: true })
          .hiddenStates!.map((h) => Float64Array.from(h.dataSync() as ArrayLike<number>)),
      );
    const plain = states();
    model.prepareInference();
    expect(states()).toEqual(plain);
    ids.dispose();
    model.dispose();
  });
});

describe('changed weights', () => {
  /** The last position's logits for a fixed prompt. */
  const lastLogits = (model: FalconH1ForCausalLM): Float64Array =>
    tidy(() =>
      Float64Array.from(
        model
          .forward(tensor([1, 17, 42, 99, 5, 63, 7], [1, 7], 'i32'), { logitsToKeep: 1 })
          .logits.dataSync() as ArrayLike<number>,
      ),
    );
  /** in_proj of layer 1, the weight the constants fold into the merged projection. */
  const inProj = (model: FalconH1ForCausalLM): Variable => model.model.layers[1]!.mamba.in_proj.weight;

  it('a parameter replaced by assign is noticed: the next forward pass rebuilds the constants', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-a'));
    const reference = await loadFalconH1(fixtureDir('tiny-a'));
    model.prepareInference();
    const first = model.inferenceConstants();
    lastLogits(model);
    // The same new weight in both models: the plain one is the reference.
    for (const m of [model, reference]) {
      tidy(() => inProj(m).assign(mul(inProj(m), tensor([0.5], [1], inProj(m).dtype))));
    }
    const before = memory().numTensors;
    const got = lastLogits(model);
    expect(model.inferenceConstants()).not.toBe(first);
    // The old constants were freed as the new ones were made: the same number of tensors.
    expect(memory().numTensors).toBe(before);
    expect(relL2(got, lastLogits(reference))).toBeLessThan(1e-5);
    model.dispose();
    reference.dispose();
  });

  it('a parameter updated in place (AdamW) is not noticed until prepareInference() runs again', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-a'));
    const old = lastLogits(model);
    model.prepareInference();
    const weight = inProj(model);
    const moments = [variable(zeros(weight.shape, 'f32')), variable(zeros(weight.shape, 'f32'))] as const;
    const grad = ones(weight.shape, weight.dtype);
    adamW(weight, grad, moments[0], moments[1], {
      lr: 0.05,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: 0,
      step: 1,
    });
    dispose([grad, ...moments]);
    // Same buffer, new values: the constants still describe the old weights (the documented rule) …
    expect(relL2(lastLogits(model), old)).toBeLessThan(1e-5);
    model.releaseInference();
    const updated = lastLogits(model);
    expect(relL2(updated, old)).toBeGreaterThan(1e-3);
    // … until the caller makes them again.
    model.prepareInference();
    expect(relL2(lastLogits(model), updated)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('releaseInference() and dispose() free every copy; constants for another model and a disposed parameter are refused', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-a'));
    const other = await loadFalconH1(fixtureDir('tiny-b'));
    const before = memory().numTensors;
    const constants = model.prepareInference();
    expect(constants.layers).toHaveLength(model.config.num_hidden_layers);
    expect(memory().numTensors).toBeGreaterThan(before);
    model.releaseInference();
    expect(memory().numTensors).toBe(before);
    expect(model.inferenceConstants()).toBeUndefined();
    const foreign = other.prepareInference();
    expect(() => model.forward(tensor([1, 2], [1, 2], 'i32'), { inference: foreign })).toThrow(
      /inference constants for 2 layers of f32 activations, the model has 3 layers of f32/,
    );
    other.dispose();
    model.prepareInference();
    // A parameter disposed since is named (the constants cannot be made again without it).
    model.lm_head.weight.dispose();
    expect(() => model.forward(tensor([1, 2], [1, 2], 'i32'))).toThrow(
      /parameter 'lm_head.weight' was disposed after prepareInference\(\)/,
    );
    model.dispose();
    expect(memory().numTensors).toBeLessThan(before);
  });
});

/**
 * Gradient checkpointing of the decoder layers (`gradientCheckpointing`): the loss and the gradient of every
 * parameter are bit-identical to the plain tape's (the same kernels run on the same values in the same order, and no
 * tensor is used both inside and outside a layer), and match transformers' (golden.grads); packed rows too; the
 * forward keeps far fewer tensors; checkpointing only the first n layers keeps a number of tensors in between and the
 * same bits; nothing leaks; and the same holds on the wasm backend.
 */
import '@falcon-h1/backend-reference';
import {
  type Backend,
  type BackendModule,
  dispose,
  getBackend,
  memory,
  type Tensor,
  tensor,
  useBackend,
  valueAndGrads,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { type ComputeDType, type FalconH1ForCausalLM, loadFalconH1 } from '../src/index.js';
import { fixtureDir, readGolden, relL2 } from './fixtures.js';

interface LossOptions {
  seqIdx?: ArrayLike<number>;
  gradientCheckpointing?: boolean | number;
}

interface Run {
  loss: number;
  /** Per parameter, in `model.parameters` order. */
  grads: Float32Array[] | Float64Array[];
  /** Live tensors at the end of the forward pass, less those before it. */
  heldAfterForward: number;
}

/** The loss and every parameter gradient; everything the pass made is freed (checked). */
function lossAndGrads(model: FalconH1ForCausalLM, input: Tensor, options: LossOptions): Run {
  const before = memory().numTensors;
  let heldAfterForward = 0;
  const { value, grads } = valueAndGrads(() => {
    const loss = model.loss(input, options);
    heldAfterForward = memory().numTensors - before;
    return loss;
  }, [...model.parameters.values()]);
  const run = {
    loss: value.dataSync()[0] as number,
    grads: grads.map((g) => g.dataSync()) as Float32Array[] | Float64Array[],
    heldAfterForward,
  };
  dispose([value, ...grads]);
  expect(memory().numTensors).toBe(before);
  return run;
}

/** Names of the parameters whose gradients differ in any bit. */
function differing(model: FalconH1ForCausalLM, a: Run, b: Run): string[] {
  const names = [...model.parameters.keys()];
  return names.filter((_, i) => !a.grads[i]!.every((v, j) => Object.is(v, b.grads[i]![j])));
}

async function goldenInput(name: string, backend: Backend): Promise<Tensor> {
  const ids = readGolden(name).get('input_ids')!;
  return tensor(ids.values, ids.shape, 'i32', backend);
}

describe('gradient checkpointing on the reference backend', () => {
  for (const name of ['tiny-b', 'tiny-a']) {
    for (const dtype of ['f32', 'f64'] as ComputeDType[]) {
      it(`${name} ${dtype}: loss and every gradient bit-identical to the plain tape, and match transformers`, {
        timeout: 120_000,
      }, async () => {
        const start = memory().numTensors;
        const model = await loadFalconH1(fixtureDir(name), { dtype });
        const input = await goldenInput(name, getBackend());
        const plain = lossAndGrads(model, input, {});
        const checkpointed = lossAndGrads(model, input, { gradientCheckpointing: true });
        expect(Object.is(checkpointed.loss, plain.loss)).toBe(true);
        expect(differing(model, checkpointed, plain)).toEqual([]);

        const golden = readGolden(name, 'golden.grads.safetensors');
        const names = [...model.parameters.keys()];
        const worst = Math.max(...names.map((n, i) => relL2(checkpointed.grads[i]!, golden.get(`grad.${n}`)!.values)));
        // The golden gradients are float64 results stored as f32, so f64 runs meet the same bound as f32 runs.
        expect(worst).toBeLessThan(1e-5);

        // Three layers: the checkpointed forward keeps the layer boundaries, not the layers' activations.
        expect(checkpointed.heldAfterForward).toBeLessThan(plain.heldAfterForward / 3);
        input.dispose();
        model.dispose();
        expect(memory().numTensors).toBe(start);
      });
    }
  }

  it('packed rows (seqIdx) and the model property: bit-identical', { timeout: 120_000 }, async () => {
    const start = memory().numTensors;
    const model = await loadFalconH1(fixtureDir('tiny-b'), { dtype: 'f64' });
    const ids = [1, 5, 9, 2, 7, 3, 11, 4, 6, 8, 10, 12];
    // Row 0: two documents (4 + 2 tokens); row 1: three (1 + 3 + 2).
    const seqIdx = [0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 2, 2];
    const input = tensor(ids, [2, 6], 'i32');
    const plain = lossAndGrads(model, input, { seqIdx });
    model.model.gradientCheckpointing = true;
    const checkpointed = lossAndGrads(model, input, { seqIdx });
    // The option overrides the property.
    const overridden = lossAndGrads(model, input, { seqIdx, gradientCheckpointing: false });
    model.model.gradientCheckpointing = false;
    expect(Object.is(checkpointed.loss, plain.loss)).toBe(true);
    expect(differing(model, checkpointed, plain)).toEqual([]);
    expect(checkpointed.heldAfterForward).toBeLessThan(plain.heldAfterForward / 3);
    expect(overridden.heldAfterForward).toBe(plain.heldAfterForward);
    input.dispose();
    model.dispose();
    expect(memory().numTensors).toBe(start);
  });

  it('the first n layers (a number): bit-identical, keeping tensors between none and all checkpointed', {
    timeout: 120_000,
  }, async () => {
    const start = memory().numTensors;
    const model = await loadFalconH1(fixtureDir('tiny-b'), { dtype: 'f64' });
    const input = await goldenInput('tiny-b', getBackend());
    const layers = model.model.layers.length;
    expect(layers).toBeGreaterThanOrEqual(2); // so that some n lies strictly between none and all
    const plain = lossAndGrads(model, input, {});
    const all = lossAndGrads(model, input, { gradientCheckpointing: true });
    const held: number[] = [];
    for (let n = 0; n <= layers; n++) {
      const run = lossAndGrads(model, input, { gradientCheckpointing: n });
      expect(Object.is(run.loss, plain.loss)).toBe(true);
      expect(differing(model, run, plain)).toEqual([]);
      held.push(run.heldAfterForward);
    }
    // 0 layers is the plain tape, all of them is `true`, and each further checkpointed layer keeps fewer tensors.
    expect(held[0]).toBe(plain.heldAfterForward);
    expect(held[layers]).toBe(all.heldAfterForward);
    for (let n = 1; n <= layers; n++) expect(held[n]).toBeLessThan(held[n - 1]!);
    // The model property takes a number too.
    model.model.gradientCheckpointing = 1;
    expect(lossAndGrads(model, input, {}).heldAfterForward).toBe(held[1]);
    model.model.gradientCheckpointing = false;
    input.dispose();
    model.dispose();
    expect(memory().numTensors).toBe(start);
  });

  it('refuses a number of checkpointed layers that is not a whole number from 0 to the layer count', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-b'));
    const input = tensor([1, 5, 9], [1, 3], 'i32');
    const layers = model.model.layers.length;
    for (const bad of [-1, 1.5, layers + 1, Number.NaN]) {
      expect(() => model.forward(input, { gradientCheckpointing: bad })).toThrow(
        new RegExp(`gradientCheckpointing must be true, false or a whole number of layers from 0 to ${layers}, got`),
      );
    }
    input.dispose();
    model.dispose();
  });

  it('refuses gradientCheckpointing with a cache (a recomputation would update it twice)', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-b'));
    const input = tensor([1, 5, 9], [1, 3], 'i32');
    const cache = model.createCache(1);
    expect(() => model.forward(input, { cache, gradientCheckpointing: true })).toThrow(
      /gradientCheckpointing cannot be used with a cache/,
    );
    cache.dispose();
    input.dispose();
    model.dispose();
  });
});

describe('gradient checkpointing on the wasm backend', () => {
  it('tiny-b f32: bit-identical to the plain tape, and matches transformers', { timeout: 120_000 }, async () => {
    // Loaded from the repository's sources by path: hybrid-block depends on no backend package but the reference.
    const wasmBase = new URL('../../../backends/wasm/src/base.ts', import.meta.url).href;
    const { createBackend } = (await import(wasmBase)) as BackendModule;
    const previous = getBackend();
    const wasm = await createBackend();
    useBackend(wasm);
    try {
      const model = await loadFalconH1(fixtureDir('tiny-b'), { backend: wasm });
      const input = await goldenInput('tiny-b', wasm);
      const plain = lossAndGrads(model, input, {});
      const checkpointed = lossAndGrads(model, input, { gradientCheckpointing: true });
      expect(Object.is(checkpointed.loss, plain.loss)).toBe(true);
      expect(differing(model, checkpointed, plain)).toEqual([]);
      const golden = readGolden('tiny-b', 'golden.grads.safetensors');
      const names = [...model.parameters.keys()];
      const worst = Math.max(...names.map((n, i) => relL2(checkpointed.grads[i]!, golden.get(`grad.${n}`)!.values)));
      expect(worst).toBeLessThan(1e-5);
      input.dispose();
      model.dispose();
    } finally {
      useBackend(previous);
    }
  });
});

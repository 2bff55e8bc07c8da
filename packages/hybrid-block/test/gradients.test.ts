/**
 * The model is differentiable through core autograd with its parameters as `Variable`s: the gradient of the loss
 * with respect to every parameter against transformers' (golden.grads.safetensors, float64), in f32.
 */
import '@falcon-h1/backend-reference';
import { dispose, tensor, valueAndGrads } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { loadFalconH1 } from '../src/index.js';
import { fixtureDir, readGolden, relL2 } from './fixtures.js';

describe('gradients', () => {
  for (const name of ['tiny-b', 'tiny-a']) {
    it(`${name}: d loss / d every parameter matches transformers`, { timeout: 120_000 }, async () => {
      const model = await loadFalconH1(fixtureDir(name));
      const golden = readGolden(name);
      const grads = readGolden(name, 'golden.grads.safetensors');
      const ids = golden.get('input_ids')!;
      const names = [...model.parameters.keys()];
      const input = tensor(ids.values, ids.shape, 'i32');
      const { value, grads: got } = valueAndGrads(
        () => model.loss(input),
        names.map((n) => model.parameters.get(n)!),
      );
      let worst = 0;
      let worstName = '';
      for (let i = 0; i < names.length; i++) {
        const want = grads.get(`grad.${names[i]}`);
        expect(want, names[i]).toBeDefined();
        const err = relL2(await got[i]!.data(), want!.values);
        if (err > worst) [worst, worstName] = [err, names[i]!];
      }
      expect(worst, `worst: ${worstName}`).toBeLessThan(1e-5);
      dispose([value, input, ...got]);
      model.dispose();
    });
  }
});

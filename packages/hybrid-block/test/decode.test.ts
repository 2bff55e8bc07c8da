/**
 * The cached paths against one full pass, on the golden fixtures (f32): a prefill, a second prefill continuing
 * from the cache (conv and SSM state in, KV appended), then one token at a time, give the logits of the whole
 * sequence at once; a left-padded batch of prompts of different lengths generates what each prompt alone does.
 */
import '@falcon-h1/backend-reference';
import { concat, memory, sliceAxis, type Tensor, tensor, tidy } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { generate, loadFalconH1 } from '../src/index.js';
import { fixtureDir, readGolden, relL2 } from './fixtures.js';

describe('decoding with the hybrid cache', () => {
  for (const name of ['tiny-a', 'tiny-b']) {
    it(`${name}: prefill + prefill + one token at a time = the full-sequence logits`, async () => {
      const model = await loadFalconH1(fixtureDir(name));
      const ids = readGolden(name).get('input_ids')!;
      const [b, t] = ids.shape as [number, number];
      const before = memory().numTensors;
      const cache = model.createCache(b);
      const { full, stepped } = tidy(() => {
        const input = tensor(ids.values, [b, t], 'i32');
        const full = model.forward(input).logits;
        const parts: Tensor[] = [
          model.forward(sliceAxis(input, 1, 0, 5), { cache }).logits,
          model.forward(sliceAxis(input, 1, 5, 4), { cache }).logits,
        ];
        for (let s = 9; s < t; s++) parts.push(model.forward(sliceAxis(input, 1, s, 1), { cache }).logits);
        return { full, stepped: concat(parts, 1) };
      });
      expect(cache.length).toBe(t);
      expect(relL2(await stepped.data(), (await full.data()) as Float32Array)).toBeLessThan(1e-5);
      full.dispose();
      stepped.dispose();
      cache.dispose();
      expect(memory().numTensors).toBe(before);
      model.dispose();
    });
  }

  it('generates for left-padded prompts of different lengths what each prompt alone generates', async () => {
    const model = await loadFalconH1(fixtureDir('tiny-a'));
    const prompts = [[5, 17, 200], [9, 8, 7, 6, 5, 4, 3, 250], [300], [44, 55, 66, 77, 88]];
    const batched = await generate(model, prompts, { maxNewTokens: 6 });
    for (let i = 0; i < prompts.length; i++) {
      const alone = await generate(model, [prompts[i]!], { maxNewTokens: 6 });
      expect(batched.sequences[i]).toEqual(alone.sequences[0]);
    }
    model.dispose();
  });
});

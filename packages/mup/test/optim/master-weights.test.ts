/** f32 master weights for bf16 parameters: updates too small for bf16 accumulate in the masters. */
import '@falcon-h1/backend-reference';
import { AdamW, dispose, MasterWeights, tensor, variable } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { floats } from '../helpers.js';

describe('MasterWeights', () => {
  it('keeps f32 copies of bf16 parameters, passes f32 ones through, and rounds masters into the model', async () => {
    const a = tensor([1, 2, 3, 4], [4], 'bf16');
    const b = tensor([0.5, 0.25], [2], 'f32');
    const params = [variable(a, { name: 'a' }), variable(b, { name: 'b' })];
    dispose([a, b]);
    const masters = new MasterWeights(params);
    expect(masters.masters[0]!.dtype).toBe('f32');
    expect(masters.masters[1]).toBe(params[1]);
    expect(masters.masterOf(params[0]!).name).toBe('a');

    // Plain SGD-like AdamW steps of lr 1e-3 on a weight of 1: bf16 (8 significant bits) cannot hold 1 − 1e-3,
    // so updating the bf16 parameter directly would leave it at 1; the master moves.
    const opt = new AdamW([{ params: masters.masters }], { lr: 1e-3 });
    for (let i = 0; i < 3; i++) {
      const grads = [tensor([1, 1, 1, 1], [4], 'bf16'), tensor([1, 1], [2], 'f32')];
      const wide = masters.masterGrads(grads);
      expect(wide[0]!.dtype).toBe('f32');
      expect(wide[1]).toBe(grads[1]);
      opt.step(wide);
      masters.syncToModel();
      dispose([grads, wide]);
    }
    const master = await floats(masters.masters[0]!);
    master.forEach((x, i) => {
      expect(x).toBeCloseTo(i + 1 - 3e-3, 6);
    });
    // The model holds the masters rounded to bf16: 1 − 3e-3 rounds to 0.99609375 (the bf16 just below 1).
    expect((await floats(params[0]!))[0]).toBe(0.99609375);
    opt.dispose();
    masters.dispose();
    dispose(params);
  });
});

/**
 * The coordinate check in miniature (widths 32 and 128, two steps): under μP a layer's mean |activation| after
 * training stays within 25% across a 4× width change, under SP it grows by more than under μP.
 */
import '@falcon-h1/backend-reference';
import { describe, expect, it } from 'vitest';
import { type CoordinateRecord, coordinateCheck } from '../src/index.js';

const at = (records: CoordinateRecord[], width: number, activation: string, step: number): number =>
  records.find((r) => r.width === width && r.activation === activation && r.step === step)!.meanAbs;

describe('coordinate check', () => {
  it('μP keeps hidden activations flat across width; SP does not', { timeout: 120_000 }, async () => {
    const options = { widths: [32, 128], steps: 2, lr: 0.02, seeds: 1, seqLen: 16 };
    const mup = await coordinateCheck({ ...options, parametrization: 'mup' });
    const sp = await coordinateCheck({ ...options, parametrization: 'sp' });
    expect(mup.length).toBe(2 * 3 * 4); // widths × steps 0..2 × (embedding, layer 1, layer 2, logits)
    for (const activation of ['embedding', 'layer 1', 'layer 2']) {
      const mupRatio = at(mup, 128, activation, 2) / at(mup, 32, activation, 2);
      const spRatio = at(sp, 128, activation, 2) / at(sp, 32, activation, 2);
      expect(mupRatio, activation).toBeGreaterThan(0.8);
      expect(mupRatio, activation).toBeLessThan(1.25);
      if (activation !== 'embedding') expect(spRatio, activation).toBeGreaterThan(1.25 * mupRatio);
    }
  });
});

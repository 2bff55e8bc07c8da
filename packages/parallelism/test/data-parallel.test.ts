/**
 * Data parallelism gives the one-device loss and gradients: rows split over 2 and 4 ranks, gradients summed
 * through buckets issued during the backward pass (small buckets: many collectives in flight). ZeRO-1 (2 ranks): two AdamW
 * steps with the optimizer state sharded give the one-device parameters.
 */
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectLossClose, modelInput, oneDevice, oneDeviceAdamW } from './reference.js';
import { runScenario } from './world/bundled-world.js';
import { ADAM } from './world/data-parallel-scenario.js';

describe('data parallelism', () => {
  for (const packed of [false, true]) {
    for (const w of packed ? [4] : [2]) {
      it(`DP ${w}${packed ? ', packed documents' : ''}: loss and every gradient equal one device's`, {
        timeout: 120_000,
      }, async () => {
        const input = modelInput(packed);
        const want = await oneDevice(input);
        const results = await runScenario<{
          loss: number;
          grads: Record<string, Float64Array>;
          buckets: number;
          overlapped: number;
        }>(w, 'dataParallel', { ...input, bucketElements: 20_000, zero1Steps: 0 });
        for (const got of results) {
          expect(got.buckets).toBeGreaterThan(3);
          // all but the last bucket were issued during the backward pass (layer by layer), not after it
          expect(got.overlapped).toBeGreaterThanOrEqual(got.buckets - 1);
          expectLossClose(got.loss, want.loss);
          expectAllClose(got.grads, want.grads);
        }
      });
    }
  }

  it("ZeRO-1 over 2 ranks: two AdamW steps give one device's parameters, with half of the state", {
    timeout: 120_000,
  }, async () => {
    const input = modelInput(true);
    const want = await oneDeviceAdamW(input, 2, ADAM);
    const results = await runScenario<{
      losses: number[];
      params: Record<string, Float64Array>;
      stateElements: number;
    }>(2, 'dataParallel', { ...input, bucketElements: 20_000, zero1Steps: 2 });
    const totalParams = Object.values(want.params).reduce((a, p) => a + p.length, 0);
    for (const got of results) {
      for (const [i, loss] of got.losses.entries()) expectLossClose(loss, want.losses[i]!);
      expectAllClose(got.params, want.params);
      expect(got.stateElements).toBeLessThan((3 * totalParams) / 2 + 3 * 2 * 20);
    }
  });
});

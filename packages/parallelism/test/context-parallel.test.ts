/**
 * Context parallelism (alone, and as DP 2 × CP 2 on a device mesh) gives the one-device loss and gradients:
 * sequences of 24 tokens cut into 2 and 4 pieces (6 tokens per rank, less than an SSD chunk of 16), with packed
 * documents that cross rank boundaries (the SSM and conv states pass between ranks), start exactly on a rank
 * boundary (the states reset) and start or end inside a piece.
 */
import { describe, it } from 'vitest';
import { expectAllClose, expectLossClose, modelInput, oneDevice } from './reference.js';
import { runScenario } from './world/bundled-world.js';

describe('context parallelism', () => {
  for (const [w, packed, dp] of [
    [2, false, 1],
    [4, true, 1],
    [4, true, 2],
  ] as const) {
    const name = `${dp > 1 ? `DP ${dp} × ` : ''}CP ${w / dp}${packed ? ', packed documents' : ''}`;
    it(`${name}: loss and every gradient equal one device's`, { timeout: 120_000 }, async () => {
      const input = modelInput(packed);
      const want = await oneDevice(input);
      const ranks = await runScenario<{ loss: number; grads: Record<string, Float64Array> }>(w, 'contextParallel', {
        ...input,
        dataParallel: dp,
      });
      for (const got of ranks) {
        expectLossClose(got.loss, want.loss);
        expectAllClose(got.grads, want.grads);
      }
    });
  }
});

/**
 * Pipeline parallelism with the 1F1B schedule gives the one-device loss and gradients (2 and 3 stages over
 * tiny-a's 3 layers, 4 micro-batches of one packed row each); the schedule itself against its definition.
 */
import { describe, expect, it } from 'vitest';
import { oneFOneBSchedule, pipelineStageLayers } from '../src/index.js';
import { expectAllClose, expectLossClose, modelInput, oneDevice } from './reference.js';
import { runScenario } from './world/bundled-world.js';

describe('1F1B schedule', () => {
  it('runs every micro-batch forward then backward, with at most S − s in flight', () => {
    for (const stages of [1, 2, 4]) {
      for (let stage = 0; stage < stages; stage++) {
        for (const m of [1, 3, 8]) {
          const actions = oneFOneBSchedule(stages, stage, m);
          expect(actions.filter((a) => a.kind === 'forward').map((a) => a.microBatch)).toEqual([...Array(m).keys()]);
          expect(actions.filter((a) => a.kind === 'backward').map((a) => a.microBatch)).toEqual([...Array(m).keys()]);
          let inFlight = 0;
          let peak = 0;
          for (const a of actions) {
            inFlight += a.kind === 'forward' ? 1 : -1;
            peak = Math.max(peak, inFlight);
          }
          expect(peak).toBe(Math.min(stages - stage, m));
        }
      }
    }
    expect(oneFOneBSchedule(2, 0, 3).map((a) => `${a.kind[0]}${a.microBatch}`)).toEqual([
      'f0',
      'f1',
      'b0',
      'f2',
      'b1',
      'b2',
    ]);
  });

  it('splits layers into consecutive, balanced stages', () => {
    expect([0, 1, 2].map((s) => pipelineStageLayers(8, 3, s))).toEqual([
      [0, 3],
      [3, 6],
      [6, 8],
    ]);
    expect(() => pipelineStageLayers(3, 4, 0)).toThrow(/3 layers cannot fill 4 stages/);
  });
});

describe('pipeline parallelism', () => {
  for (const stages of [2, 3]) {
    it(`PP ${stages}, 4 micro-batches, packed: loss and every gradient equal one device's`, {
      timeout: 120_000,
    }, async () => {
      const input = modelInput(true);
      const want = await oneDevice(input);
      const ranks = await runScenario<{ loss: number; grads: Record<string, Float64Array>; peakInFlight: number }>(
        stages,
        'pipeline',
        input,
      );
      const merged: Record<string, Float64Array> = {};
      ranks.forEach((r, stage) => {
        expectLossClose(r.loss, want.loss);
        expect(r.peakInFlight).toBe(stages - stage);
        for (const [name, g] of Object.entries(r.grads)) {
          expect(merged[name], `${name} on two stages`).toBeUndefined();
          merged[name] = g;
        }
      });
      expectAllClose(merged, want.grads);
    });
  }
});

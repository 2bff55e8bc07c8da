/**
 * A training step of every layout reads one tensor back to the host — the loss, at the end — besides what it
 * hands to its communicator (which NCCL moves on the device). On a GPU each read drains the stream: a read per
 * micro-batch (the pipeline's loss) or per parameter (the shared-gradient sums) stalls the step.
 */
import { describe, expect, it } from 'vitest';
import { modelInput } from './reference.js';
import { runScenario } from './world/bundled-world.js';

const layouts = [
  { what: 'tensor', layout: 'tensor', sequenceParallel: true },
  { what: 'tensor', layout: 'naive', sequenceParallel: false },
  { what: 'pipeline' },
  { what: 'context' },
  { what: 'data' },
] as const;

describe('host reads per training step', () => {
  for (const l of layouts) {
    const name = l.what === 'tensor' ? `${l.layout}${l.sequenceParallel ? ' + sequence parallel' : ''}` : l.what;
    it(`${name} (2 ranks): the loss only`, { timeout: 120_000 }, async () => {
      const ranks = await runScenario<{ reads: number }>(2, 'hostReads', { ...modelInput(true), ...l });
      expect(ranks.map((r) => r.reads)).toEqual([1, 1]);
    });
  }
});

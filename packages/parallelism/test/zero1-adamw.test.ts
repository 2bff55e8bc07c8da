/**
 * ZeRO-1 with parameter groups (zero1-scenario.ts): over 2 and 4 ranks, f32 and f64, N steps of `Zero1AdamW` —
 * per-group lr / weight-decay multipliers, a per-step schedule, micro-batch accumulation and the sharded gradient
 * norm — equal N steps of core-tensor's replicated `AdamW` with the same groups and schedule, with 1/worldSize of
 * the state per rank. Its exported state is the replicated layout: export → import is bit-exact, and a state
 * exported at one world size (by either optimizer) resumes at another, bit for bit, in either optimizer.
 */
import { describe, expect, it } from 'vitest';
import { launchThreadWorld } from '../src/threads.js';
import { expectAllClose } from './reference.js';
import { bundleForNode } from './world/bundled-world.js';
import { type HostState, PARAMETERS, type Zero1Input, type Zero1Result } from './world/zero1-scenario.js';

let bundled: Promise<string> | undefined;

async function runZero1(worldSize: number, input: Zero1Input): Promise<Zero1Result[]> {
  bundled ??= bundleForNode(new URL('./world/zero1-worker-entry.ts', import.meta.url), 'zero1-worker-entry.mjs');
  return launchThreadWorld<Zero1Result>({ worldSize, entry: await bundled, input: { scenario: 'zero1', ...input } });
}

/** Float tolerance of the comparison with the replicated optimizer (f32: the brief's 1e-6; f64: reference.ts's). */
const TOLERANCE = { f32: 1e-6, f64: 1e-12 };

/** Small buckets: 219 values in 6 buckets, cut inside parameters and groups, with padding at 2 and 4 ranks. */
const BUCKET = 40;
const TOTAL = PARAMETERS.reduce((a, [, shape]) => a + shape.reduce((x, y) => x * y, 1), 0);

const momentsByName = (state: HostState, which: 'm' | 'v') =>
  Object.fromEntries(state.moments.map((s) => [s.name, s[which]]));

describe('ZeRO-1 AdamW with parameter groups and a schedule', () => {
  for (const worldSize of [2, 4]) {
    for (const dtype of ['f32', 'f64'] as const) {
      it(`${worldSize} ranks, ${dtype}: 4 steps equal the replicated AdamW, with 1/${worldSize} of the state`, {
        timeout: 120_000,
      }, async () => {
        const results = await runZero1(worldSize, {
          dtype,
          bucketElements: BUCKET,
          firstStep: 1,
          lastStep: 4,
          exact: false,
        });
        for (const got of results) {
          expectAllClose(got.zero1, got.replicated, TOLERANCE[dtype]);
          expect(got.zero1State.step).toBe(4);
          expect(got.zero1State.moments.map((s) => s.name)).toEqual(got.replicatedState.moments.map((s) => s.name));
          expectAllClose(momentsByName(got.zero1State, 'm'), momentsByName(got.replicatedState, 'm'), TOLERANCE[dtype]);
          expectAllClose(momentsByName(got.zero1State, 'v'), momentsByName(got.replicatedState, 'v'), TOLERANCE[dtype]);
          for (const [sharded, replicated] of got.norms) {
            expect(Math.abs(sharded - replicated) / replicated).toBeLessThanOrEqual(TOLERANCE[dtype]);
          }
          // master + 2 moments of its slices only: at most one bucket's padding more than 1/worldSize
          expect(got.stateElements).toBeLessThanOrEqual((3 * TOTAL) / worldSize + 3 * 6);
          // the replicas did not drift: every rank holds the same parameters, bit for bit
          expect(got.zero1).toEqual(results[0]!.zero1);
        }
      });
    }
  }

  it('export → import is bit-exact, and a 2-rank state resumes on 4 ranks in either optimizer, bit for bit', {
    timeout: 120_000,
  }, async () => {
    const base = { dtype: 'f32', bucketElements: BUCKET, exact: true } as const;
    const [whole] = await runZero1(2, { ...base, firstStep: 1, lastStep: 5 });
    const [cut] = await runZero1(2, { ...base, firstStep: 1, lastStep: 2 });
    // exact gradients: the two optimizers agree to the bit at every world size
    expect(cut!.zero1State).toEqual(cut!.replicatedState);
    const start = { params: cut!.zero1, zero1: cut!.replicatedState, replicated: cut!.zero1State };
    const resumed = await runZero1(4, { ...base, firstStep: 3, lastStep: 5, start });
    for (const got of resumed) {
      expect(got.reExported).toEqual(cut!.replicatedState);
      expect(got.zero1).toEqual(whole!.zero1);
      expect(got.replicated).toEqual(whole!.replicated);
      expect(got.zero1State).toEqual(whole!.zero1State);
      expect(got.replicatedState).toEqual(whole!.zero1State);
    }
  });

  it('refuses a state for other parameters, buckets without a parameter, and loadState without groups', {
    timeout: 60_000,
  }, async () => {
    bundled ??= bundleForNode(new URL('./world/zero1-worker-entry.ts', import.meta.url), 'zero1-worker-entry.mjs');
    const results = await launchThreadWorld<string[]>({
      worldSize: 2,
      entry: await bundled,
      input: { scenario: 'refusals' },
    });
    for (const messages of results) {
      expect(messages).toEqual([
        "AdamW.loadState: moment 2 is for 'other', parameter is 'layers.0.bias'",
        "ZeRO-1: no gradient for parameters 'embed', 'layers.0.norm', 'layers.0.bias', 'layers.1.norm', 'layers.0.proj', 'layers.1.proj'",
        'Zero1AdamW.loadState: construct it with the parameter groups to load a state (by name)',
      ]);
    }
  });
});

/**
 * ZeRO-1 data-parallel training (`dataParallel.zero1: true`) on the thread world, against the replicated
 * data-parallel run of the same config: over 2 and 4 ranks (1-row micro-batches: accumulated slices) every step's
 * loss and gradient norm and the final parameters and moments agree to f32 rounding (relative L2 ≤ 1e-5); its
 * checkpoints are the replicated run's files (the full optimizer state, same tensors), a ZeRO-1 run resumes bit for
 * bit, and a checkpoint of either kind resumes in the other.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '@falcon-h1/backend-reference';
import { initBackend, parseSafetensors } from '@falcon-h1/core-tensor';
import { loadFalconH1 } from '@falcon-h1/hybrid-block';
import { afterAll, describe, expect, it } from 'vitest';
import { listCheckpoints, MetricsLog, type StepMetrics } from '../src/index.js';
import { relativeL2, smallDataParallelRun } from './small-dp-run.js';
import { removeTinyRuns, writeConfig } from './tiny-run.js';
import { trainInWorld } from './world/bundle-world.js';

afterAll(removeTinyRuns);

/** 1-row micro-batches: each rank adds the slices of several backward passes. */
const smallRun = (overrides: Record<string, unknown> = {}) =>
  smallDataParallelRun({ batch: { rows: 4, microRows: 1 }, ...overrides });

const withZero1 = (config: Record<string, unknown>, zero1: boolean, out: string) => ({
  ...config,
  out,
  dataParallel: { ...(config.dataParallel as object), zero1 },
});

/** Every tensor of a checkpoint: the model's parameters and the optimizer's moments, by name. */
async function checkpointTensors(
  dir: string,
): Promise<{ params: Map<string, Float32Array>; moments: Map<string, Float32Array>; step: string }> {
  const model = await loadFalconH1(dir, { backend: await initBackend('reference'), dtype: 'f32' });
  const params = new Map<string, Float32Array>();
  try {
    for (const [name, p] of model.parameters) params.set(name, Float32Array.from((await p.data()) as Float32Array));
  } finally {
    model.dispose();
  }
  const file = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'optimizer.safetensors'))));
  const moments = new Map([...file.tensors].map(([name, e]) => [name, Float32Array.from(e.storage() as Float32Array)]));
  return { params, moments, step: file.metadata?.step ?? '' };
}

function expectClose(got: Map<string, Float32Array>, want: Map<string, Float32Array>, what: string): void {
  expect([...got.keys()].sort(), what).toEqual([...want.keys()].sort());
  for (const [name, values] of want)
    expect(relativeL2(got.get(name)!, values), `${what} ${name}`).toBeLessThanOrEqual(1e-5);
}

const exact = (records: StepMetrics[]) =>
  records.map(({ step, loss, lr, grad_norm, tokens }) => JSON.stringify({ step, loss, lr, grad_norm, tokens }));

describe('ZeRO-1 data-parallel training on the thread world (reference backend)', () => {
  it('over 2 and 4 ranks trains as the replicated optimizer: losses, norms, parameters and moments (f32, ≤ 1e-5)', async () => {
    const { dir, config } = await smallRun();
    const replicated = await trainInWorld(2, { configFile: writeConfig(dir, withZero1(config, false, 'dp')) });
    const want = new MetricsLog(replicated[0]!.metricsPath).read();
    const wantTensors = await checkpointTensors(replicated[0]!.checkpoint);
    const parameters = [...wantTensors.params.values()].reduce((n, p) => n + p.length, 0);
    for (const r of replicated) expect(r.optimizerValues).toBe(2 * parameters);
    for (const worldSize of [2, 4]) {
      const out = `zero1-${worldSize}`;
      const results = await trainInWorld(worldSize, {
        configFile: writeConfig(dir, withZero1(config, true, out), `${out}.json`),
      });
      expect(results.map((r) => [r.rank, r.worldSize, r.lastStep, r.leakedTensors])).toEqual(
        results.map((_, rank) => [rank, worldSize, 3, 0]),
      );
      // Each rank holds the master copy and moments of its slices only (1/worldSize, up to the buckets' padding).
      for (const r of results) expect(r.optimizerValues).toBeLessThanOrEqual(((3 * parameters) / worldSize) * 1.01);
      expect(results.reduce((n, r) => n + r.optimizerValues, 0)).toBe(3 * parameters);
      const got = new MetricsLog(results[0]!.metricsPath).read();
      expect(got.map((r) => r.step)).toEqual([1, 2, 3]);
      got.forEach((record, i) => {
        expect(Math.abs(record.loss - want[i]!.loss) / want[i]!.loss).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(record.grad_norm - want[i]!.grad_norm) / want[i]!.grad_norm).toBeLessThanOrEqual(1e-5);
        expect(record.tokens).toBe(want[i]!.tokens);
      });
      // The checkpoint holds the full state in the replicated run's file format: the same tensors, the same step.
      const gotTensors = await checkpointTensors(results[0]!.checkpoint);
      expect(gotTensors.step).toBe(wantTensors.step);
      expectClose(gotTensors.params, wantTensors.params, `${worldSize} ranks, parameter`);
      expectClose(gotTensors.moments, wantTensors.moments, `${worldSize} ranks, moment`);
    }
  }, 300_000);

  it('a ZeRO-1 run resumes bit for bit, and a checkpoint of either kind resumes in the other', async () => {
    const { dir, config } = await smallRun({ steps: 4, checkpoint: { every: 2, keep: 5 } });
    const run = async (zero1: boolean, out: string, resume = false) =>
      trainInWorld(2, { configFile: writeConfig(dir, withZero1(config, zero1, out), `${out}.json`), resume });
    const cutAt2 = (from: string, to: string) => {
      cpSync(join(dir, from), join(dir, to), { recursive: true });
      for (const c of listCheckpoints(join(dir, to))) if (c.step > 2) rmSync(c.dir, { recursive: true });
    };
    const whole = await run(true, 'whole');
    const uninterrupted = new MetricsLog(whole[0]!.metricsPath).read();
    const wholeTensors = await checkpointTensors(whole[0]!.checkpoint);

    cutAt2('whole', 'cut');
    const resumed = await run(true, 'cut', true);
    expect(resumed.map((r) => [r.firstStep, r.leakedTensors])).toEqual([
      [3, 0],
      [3, 0],
    ]);
    expect(exact(new MetricsLog(resumed[0]!.metricsPath).read())).toEqual(exact(uninterrupted));
    const resumedTensors = await checkpointTensors(resumed[0]!.checkpoint);
    for (const [name, values] of wholeTensors.params) expect(resumedTensors.params.get(name), name).toEqual(values);
    for (const [name, values] of wholeTensors.moments) expect(resumedTensors.moments.get(name), name).toEqual(values);

    // ZeRO-1's checkpoint of step 2 → the replicated optimizer, and the replicated run's → ZeRO-1: both continue
    // as the runs they came from (the gradient norm's summation order aside: f32 rounding).
    cutAt2('whole', 'to-replicated');
    const toReplicated = await run(false, 'to-replicated', true);
    const replicatedWhole = await run(false, 'replicated-whole');
    cutAt2('replicated-whole', 'to-zero1');
    const toZero1 = await run(true, 'to-zero1', true);
    for (const [got, from] of [
      [toReplicated, whole],
      [toZero1, replicatedWhole],
    ] as const) {
      expect(got[0]!.firstStep).toBe(3);
      const gotRecords = new MetricsLog(got[0]!.metricsPath).read();
      const wantRecords = new MetricsLog(from[0]!.metricsPath).read();
      expect(gotRecords.map((r) => r.step)).toEqual([1, 2, 3, 4]);
      gotRecords.forEach((record, i) => {
        expect(Math.abs(record.loss - wantRecords[i]!.loss) / wantRecords[i]!.loss).toBeLessThanOrEqual(1e-5);
      });
      const gotTensors = await checkpointTensors(got[0]!.checkpoint);
      const wantTensors = await checkpointTensors(from[0]!.checkpoint);
      expectClose(gotTensors.params, wantTensors.params, 'parameter');
      expectClose(gotTensors.moments, wantTensors.moments, 'moment');
    }
  }, 600_000);
});

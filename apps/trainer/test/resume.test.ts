import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listCheckpoints, loadTrainConfig, MetricsLog, runTraining, type StepMetrics } from '../src/index.js';
import { collectOutput, removeTinyRuns, tinyRun, writeConfig } from './tiny-run.js';

afterAll(removeTinyRuns);

/** Everything in a metrics record that is not a timing, as the exact JSON text. */
function exact(records: StepMetrics[]): string[] {
  return records.map(({ step, loss, lr, grad_norm, tokens, eval_loss }) =>
    JSON.stringify({ step, loss, lr, grad_norm, tokens, eval_loss }),
  );
}

describe.each(['reference', 'wasm'])('resuming from a checkpoint (%s)', (backend) => {
  it('continues bit for bit: the resumed run writes the uninterrupted metrics', async () => {
    const { dir, config } = await tinyRun({
      backend,
      steps: 6,
      data: { ...((await tinyRun()).config.data as object), seqLen: 24 },
      batch: { rows: 2, microRows: 1 },
      eval: { ...((await tinyRun()).config.eval as object), every: 3, batches: 1, rows: 1 },
      schedule: { warmupSteps: 2, decaySteps: 2 },
      checkpoint: { every: 2, keep: 5 },
      sample: { prompt: 'The', maxTokens: 3, every: 2 },
    });
    const whole = await runTraining(loadTrainConfig(writeConfig(dir, config)), { output: collectOutput() });
    const uninterrupted = new MetricsLog(whole.metricsPath).read();
    expect(uninterrupted).toHaveLength(6);

    // The same run as if it had died after the checkpoint of step 2: later checkpoints gone, metrics ahead of it.
    cpSync(join(dir, 'run'), join(dir, 'cut'), { recursive: true });
    for (const c of listCheckpoints(join(dir, 'cut'))) if (c.step > 2) rmSync(c.dir, { recursive: true });
    const output = collectOutput();
    const resumed = await runTraining(loadTrainConfig(writeConfig(dir, { ...config, out: 'cut' })), {
      resume: true,
      output,
    });
    expect(resumed.firstStep).toBe(3);
    expect(output.lines).toContain(`resuming ${join(dir, 'cut')} from step 2`);
    expect(exact(new MetricsLog(resumed.metricsPath).read())).toEqual(exact(uninterrupted));
    // The random stream continued too: the final sample (its seed drawn after those of steps 4 and 6) is the same.
    expect(resumed.sample).toBe(whole.sample);
  }, 120_000);
});

describe('gradient accumulation', () => {
  it('two micro-batches of 2 rows train as one batch of 4 (to f32 rounding)', async () => {
    const losses: number[][] = [];
    for (const microRows of [2, 4]) {
      const { dir, config } = await tinyRun({
        steps: 3,
        data: { ...((await tinyRun()).config.data as object), seqLen: 32 },
        batch: { rows: 4, microRows },
        eval: undefined,
        schedule: {},
        checkpoint: { every: 3 },
      });
      const result = await runTraining(loadTrainConfig(writeConfig(dir, config)), { output: collectOutput() });
      losses.push(new MetricsLog(result.metricsPath).read().map((r) => r.loss));
    }
    for (let i = 0; i < 3; i++) expect(Math.abs(losses[0]![i]! - losses[1]![i]!) / losses[1]![i]!).toBeLessThan(1e-5);
  }, 120_000);
});

describe('a run directory that already holds checkpoints', () => {
  it('is refused without --resume, naming the newest step', async () => {
    const { dir, config } = await tinyRun({ steps: 2, eval: undefined, schedule: {}, checkpoint: { every: 1 } });
    const file = writeConfig(dir, config);
    await runTraining(loadTrainConfig(file), { output: collectOutput() });
    await expect(runTraining(loadTrainConfig(file), { output: collectOutput() })).rejects.toThrow(
      /already holds checkpoints \(newest: step 2\); pass --resume/,
    );
  }, 60_000);
});

/**
 * The trainer killed with SIGKILL and resumed with --resume reproduces the uninterrupted run's loss curve bit for
 * bit; a kill in the middle of a checkpoint write never leaves a checkpoint that is not whole.
 */
import { existsSync, mkdirSync, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import '@falcon-h1/backend-reference';
import { loadFalconH1 } from '@falcon-h1/hybrid-block';
import { listCheckpoints, readTrainerState } from '@falcon-h1/trainer';
import { afterAll, describe, expect, it } from 'vitest';
import { exactMetrics, removeTrainRunDirs, runTrainer, stepsLogged, trainRunDir } from './train-run.js';

afterAll(removeTrainRunDirs);

describe.each([
  { backend: 'wasm', steps: 12, checkpointEvery: 3 },
  { backend: 'reference', steps: 6, checkpointEvery: 2 },
])('falcon-h1 train killed mid-step and resumed ($backend)', ({ backend, steps, checkpointEvery }) => {
  it('reproduces the uninterrupted loss curve exactly', async () => {
    const dir = await trainRunDir({ backend, steps, checkpointEvery });
    const whole = await runTrainer(dir, ['--config', 'run.json', '--out', 'whole']);
    expect(whole.stderr).toContain(`backend: ${backend}`);
    expect(whole.code).toBe(0);
    const reference = exactMetrics(join(dir, 'whole', 'metrics.jsonl'));
    expect(reference).toHaveLength(steps);

    // Kill once a checkpoint exists and the step after it has been logged: the next step is then in flight.
    const killed = await runTrainer(dir, ['--config', 'run.json', '--out', 'cut'], (kill) => {
      const checkpoints = listCheckpoints(join(dir, 'cut'));
      const metrics = join(dir, 'cut', 'metrics.jsonl');
      if (checkpoints.length === 0 || !existsSync(metrics)) return;
      if (stepsLogged(metrics) > checkpoints.at(-1)!.step) kill();
    });
    expect(killed.signal).toBe('SIGKILL');
    const done = exactMetrics(join(dir, 'cut', 'metrics.jsonl')).length;
    expect(done).toBeLessThan(steps);

    const resumed = await runTrainer(dir, ['--config', 'run.json', '--out', 'cut', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* from step [1-9]/);
    expect(resumed.stdout).toContain(`trained ${steps} steps`);
    expect(exactMetrics(join(dir, 'cut', 'metrics.jsonl'))).toEqual(reference);
  }, 180_000);
});

describe('falcon-h1 train killed while writing a checkpoint', () => {
  it('leaves only whole checkpoints, and resumes from the last one to the uninterrupted result', async () => {
    const dir = await trainRunDir({ backend: 'wasm', steps: 10, checkpointEvery: 1 });
    const whole = await runTrainer(dir, ['--config', 'run.json', '--out', 'whole']);
    expect(whole.code).toBe(0);
    const checkpoints = join(dir, 'cut', 'checkpoints');
    mkdirSync(checkpoints, { recursive: true });

    let midWrite = 0;
    for (let attempt = 0; attempt < 8 && midWrite < 2; attempt++) {
      // Kill as soon as the next checkpoint's temporary directory appears.
      let kill: (() => void) | undefined;
      const watcher = watch(checkpoints, (_, name) => {
        if (name?.startsWith('.tmp-step-') && listCheckpoints(join(dir, 'cut')).length > 0) kill?.();
      });
      const args = ['--config', 'run.json', '--out', 'cut', ...(attempt > 0 ? ['--resume'] : [])];
      const run = await runTrainer(dir, args, (send) => {
        kill = send;
      });
      watcher.close();
      if (run.code === 0) break;
      expect(run.signal).toBe('SIGKILL');
      if (readdirSync(checkpoints).some((name) => name.startsWith('.tmp-step-'))) midWrite++;
      // Whatever the moment of the kill, every step-N directory is a whole checkpoint.
      for (const c of listCheckpoints(join(dir, 'cut'))) {
        expect(readTrainerState(c.dir).step).toBe(c.step);
        expect(readdirSync(c.dir).sort()).toEqual([
          'config.json',
          'model.safetensors',
          'optimizer.safetensors',
          'trainer-state.json',
        ]);
        (await loadFalconH1(c.dir)).dispose();
      }
    }
    expect(midWrite).toBeGreaterThan(0);
    const finish = await runTrainer(dir, ['--config', 'run.json', '--out', 'cut', '--resume']);
    expect(finish.code).toBe(0);
    expect(readdirSync(checkpoints).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
    expect(exactMetrics(join(dir, 'cut', 'metrics.jsonl'))).toEqual(exactMetrics(join(dir, 'whole', 'metrics.jsonl')));
  }, 300_000);
});

describe('falcon-h1 train interrupted with Ctrl-C', () => {
  it('finishes the step, checkpoints it, exits with 130, and --resume continues exactly', async () => {
    const dir = await trainRunDir({ backend: 'wasm', steps: 8, checkpointEvery: 6 });
    const whole = await runTrainer(dir, ['--config', 'run.json', '--out', 'whole']);
    expect(whole.code).toBe(0);

    let sent = false;
    const stopped = await runTrainer(dir, ['--config', 'run.json', '--out', 'cut'], (send) => {
      const metrics = join(dir, 'cut', 'metrics.jsonl');
      if (!sent && existsSync(metrics) && stepsLogged(metrics) >= 2) {
        sent = true;
        send('SIGINT');
      }
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('interrupted: finishing this step and saving a checkpoint');
    const step = Number(/stopped after step (\d+)/.exec(stopped.stdout)?.[1]);
    expect(step).toBeLessThan(8);
    expect(exactMetrics(join(dir, 'cut', 'metrics.jsonl'))).toHaveLength(step);
    expect(listCheckpoints(join(dir, 'cut')).at(-1)!.step).toBe(step);

    const resumed = await runTrainer(dir, ['--config', 'run.json', '--out', 'cut', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`from step ${step}`);
    expect(exactMetrics(join(dir, 'cut', 'metrics.jsonl'))).toEqual(exactMetrics(join(dir, 'whole', 'metrics.jsonl')));
  }, 180_000);
});

import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  commitDirectory,
  listCheckpoints,
  loadTrainConfig,
  MetricsLog,
  removeStaleTemporaries,
  runTraining,
  TEMPORARY_PREFIX,
  temporaryPathFor,
  writeFileAtomic,
} from '../src/index.js';
import { collectOutput, removeTinyRuns, tinyRun, writeConfig } from './tiny-run.js';

afterAll(removeTinyRuns);

describe('atomic files', () => {
  it('writeFileAtomic replaces the content and leaves no temporary name behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'falcon-atomic-'));
    const path = join(dir, 'state.json');
    writeFileAtomic(path, 'first');
    writeFileAtomic(path, 'second, longer');
    expect(readFileSync(path, 'utf8')).toBe('second, longer');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('commitDirectory publishes a finished directory under its final name; a failed commit publishes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'falcon-atomic-'));
    const final = join(dir, 'step-000001');
    const temporary = temporaryPathFor(final);
    expect(temporary.startsWith(join(dir, TEMPORARY_PREFIX))).toBe(true);
    mkdirSync(temporary);
    writeFileSync(join(temporary, 'a.bin'), 'data');
    commitDirectory(temporary, final);
    expect(readFileSync(join(final, 'a.bin'), 'utf8')).toBe('data');
    expect(existsSync(temporary)).toBe(false);

    const orphan = temporaryPathFor(join(dir, 'nowhere', 'step-000002'));
    expect(() => commitDirectory(orphan, join(dir, 'nowhere', 'step-000002'))).toThrow();
    expect(existsSync(join(dir, 'nowhere', 'step-000002'))).toBe(false);
  });

  it('removeStaleTemporaries clears what a killed writer left, and nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'falcon-atomic-'));
    mkdirSync(join(dir, `${TEMPORARY_PREFIX}step-000003-123-1`));
    writeFileSync(join(dir, `${TEMPORARY_PREFIX}state.json-123-2`), '{"half');
    mkdirSync(join(dir, 'step-000002'));
    expect(removeStaleTemporaries(dir).sort()).toEqual([
      `${TEMPORARY_PREFIX}state.json-123-2`,
      `${TEMPORARY_PREFIX}step-000003-123-1`,
    ]);
    expect(readdirSync(dir)).toEqual(['step-000002']);
  });
});

describe('a checkpoint write cut short', () => {
  it('is never taken for a checkpoint: the previous one stays intact and the run resumes from it exactly', async () => {
    const { dir, config } = await tinyRun({
      steps: 4,
      data: { ...((await tinyRun()).config.data as object), seqLen: 24 },
      batch: { rows: 2 },
      eval: undefined,
      schedule: {},
      checkpoint: { every: 2, keep: 3 },
    });
    const file = writeConfig(dir, config);
    const whole = await runTraining(loadTrainConfig(file), { output: collectOutput() });
    const runDir = join(dir, 'run');
    const checkpoints = join(runDir, 'checkpoints');

    // What a kill during the write of step 4's checkpoint leaves: step 2 complete, step 4 half-written under its
    // temporary name (a weights file cut in the middle, no trainer state yet).
    cpSync(runDir, join(dir, 'cut'), { recursive: true });
    const cut = join(dir, 'cut', 'checkpoints');
    const partial = join(cut, `${TEMPORARY_PREFIX}step-000004-999-1`);
    cpSync(join(cut, 'step-000004'), partial, { recursive: true });
    truncateSync(join(partial, 'model.safetensors'), 1000);
    cpSync(join(partial, 'model.safetensors'), join(partial, 'trainer-state.json'));
    rmSync(join(cut, 'step-000004'), { recursive: true });
    expect(listCheckpoints(join(dir, 'cut')).map((c) => c.step)).toEqual([2]);

    const resumed = await runTraining(loadTrainConfig(writeConfig(dir, { ...config, out: 'cut' })), {
      resume: true,
      output: collectOutput(),
    });
    expect(resumed.firstStep).toBe(3);
    expect(readdirSync(cut).sort()).toEqual(['step-000002', 'step-000004']);
    const losses = (path: string) => new MetricsLog(path).read().map((r) => r.loss);
    expect(losses(resumed.metricsPath)).toEqual(losses(whole.metricsPath));
    expect(readFileSync(join(cut, 'step-000004', 'model.safetensors'))).toEqual(
      readFileSync(join(checkpoints, 'step-000004', 'model.safetensors')),
    );
  }, 60_000);
});

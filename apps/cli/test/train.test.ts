/** `falcon-h1 train` in-process: help, usage errors, a config error naming its field, a short run's summary. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Io, main } from '../src/index.js';
import { removeTrainRunDirs, trainRunDir } from './train-run.js';

afterAll(removeTrainRunDirs);

function collector(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

describe('falcon-h1 train', () => {
  it('is listed, and --help prints its usage', async () => {
    const io = collector();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/train +Train Falcon-H1 from a config file/);
    const help = collector();
    expect(await main(['train', '--help'], help)).toBe(0);
    expect(help.stdout.join('\n')).toContain('Usage: falcon-h1 train --config <file>');
  });

  it('usage errors exit with 2', async () => {
    for (const args of [
      [],
      ['--config', 'a.json', '--default'],
      ['--default', '--backend', 'tpu'],
      ['--config', 'a.json', 'extra'],
    ]) {
      const io = collector();
      expect(await main(['train', ...args], io)).toBe(2);
      expect(io.stderr[0]).toMatch(/^falcon-h1 train: /);
    }
  });

  it('a bad config fails (exit 1) naming the file and the field', async () => {
    const dir = await trainRunDir({ backend: 'wasm', steps: 2, checkpointEvery: 1 });
    const config = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...config, optimizer: { lr: -1 } }));
    const io = collector();
    expect(await main(['train', '--config', join(dir, 'bad.json')], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/falcon-h1 train: .*bad\.json: invalid training config:\n {2}optimizer\.lr: /);
  });

  it('trains, then prints the losses, the checkpoint, the metrics and the loss curve', async () => {
    const dir = await trainRunDir({ backend: 'wasm', steps: 4, checkpointEvery: 2 });
    const io = collector();
    expect(await main(['train', '--config', join(dir, 'run.json'), '--out', join(dir, 'out')], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^trained 4 steps on wasm: loss \d+\.\d{4} → \d+\.\d{4} \(held-out \d+\.\d{4}\)$/);
    expect(io.stdout[1]).toBe(`checkpoint: ${join(dir, 'out', 'checkpoints', 'step-000004')}`);
    expect(io.stdout[3]).toBe(`loss curve: ${join(dir, 'out', 'loss-curve.svg')}`);
    expect(io.stderr.some((line) => /^step 4\/4 \[#{20}\] loss /.test(line))).toBe(true);
  }, 60_000);
});

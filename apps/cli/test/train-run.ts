/**
 * Shared by the `falcon-h1 train` tests: a run directory with a tokenizer of tiny-a's vocabulary (384 ids, trained
 * here on the trainer's embedded corpus), a config of tiny-a's shape, and the trainer's built binary, which runs
 * the same command as `falcon-h1 train` (the tests spawn it to kill it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainBpe } from '@falcon-h1/tokenizer';

const trainerDir = dirname(createRequire(import.meta.url).resolve('@falcon-h1/trainer/package.json'));
export const TRAINER_BIN = join(trainerDir, 'dist', 'bin.js');
const corpus = join(trainerDir, 'assets', 'corpus');
const tinyA = fileURLToPath(new URL('../../../tests/fixtures/tiny-a/config.json', import.meta.url));

const made: string[] = [];

/** Deletes every directory `trainRunDir` made (call it in afterAll). */
export function removeTrainRunDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh directory with tokenizer.json and run.json (steps, checkpoint interval and backend as given). */
export async function trainRunDir(options: {
  backend: string;
  steps: number;
  checkpointEvery: number;
}): Promise<string> {
  if (!existsSync(TRAINER_BIN))
    throw new Error(`${TRAINER_BIN} is missing: build @falcon-h1/trainer first (pnpm build)`);
  const dir = mkdtempSync(join(tmpdir(), 'falcon-train-cli-'));
  made.push(dir);
  const lines = readFileSync(join(corpus, 'train.txt'), 'utf8').split(/(?<=\n)/);
  const { json } = await trainBpe(lines, {
    vocabSize: 384,
    specialTokens: ['<|pad|>', '<|begin_of_text|>', '<|end_of_text|>'],
  });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  const text = (name: string, file: string) => ({
    name,
    kind: 'text',
    paths: [join(corpus, file)],
    textSplit: 'blank-line',
  });
  const config = {
    out: 'run',
    backend: options.backend,
    model: { config: tinyA, seed: 5 },
    tokenizer: 'tokenizer.json',
    data: { sources: [text('licenses', 'train.txt')], seqLen: 24, seed: 1 },
    eval: { sources: [text('held-out', 'held-out.txt')], every: 3, batches: 1, rows: 1 },
    steps: options.steps,
    batch: { rows: 2, microRows: 1 },
    optimizer: { lr: 0.02, weightDecay: 0.01 },
    schedule: { warmupSteps: 2, decaySteps: 2 },
    checkpoint: { every: options.checkpointEvery, keep: 100 },
    log: { every: 1 },
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(config, null, 2));
  return dir;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the trainer binary with `args` in `cwd`; `watch` is called every few milliseconds and may send the process
 * a signal (SIGKILL by default).
 */
export function runTrainer(
  cwd: string,
  args: string[],
  watch?: (send: (signal?: NodeJS.Signals) => void) => void,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TRAINER_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = watch ? setInterval(() => watch((signal = 'SIGKILL') => child.kill(signal)), 5) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Complete lines of metrics.jsonl so far (a line being appended is not counted). */
export function stepsLogged(path: string): number {
  return readFileSync(path, 'utf8').split('\n').length - 1;
}

/** The fields of metrics.jsonl that do not depend on timing, one exact JSON string per step. */
export function exactMetrics(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const { step, loss, lr, grad_norm, tokens, eval_loss } = JSON.parse(line) as Record<string, number>;
      return JSON.stringify({ step, loss, lr, grad_norm, tokens, eval_loss });
    });
}

/**
 * Test fixtures: a run of tiny-a's shape (tests/fixtures/tiny-a/config.json: hidden 96, 3 layers, vocabulary 384)
 * on the embedded corpus, with a 384-id tokenizer trained here by trainBpe, in a fresh temporary directory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainBpe } from '@falcon-h1/tokenizer';
import { DEFAULT_SPECIAL_TOKENS } from '../src/index.js';

export const ASSETS = fileURLToPath(new URL('../assets/', import.meta.url));
export const TINY_A_CONFIG = fileURLToPath(new URL('../../../tests/fixtures/tiny-a/config.json', import.meta.url));

let tokenizerText: string | undefined;
const made: string[] = [];

/** Deletes every directory `tinyRun` made (call it in afterAll). */
export function removeTinyRuns(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** tokenizer.json text with tiny-a's vocabulary size, trained on the embedded training text. */
export async function tinyTokenizer(): Promise<string> {
  if (tokenizerText === undefined) {
    const lines = readFileSync(join(ASSETS, 'corpus', 'train.txt'), 'utf8').split(/(?<=\n)/);
    const { json } = await trainBpe(lines, { vocabSize: 384, specialTokens: DEFAULT_SPECIAL_TOKENS });
    tokenizerText = JSON.stringify(json);
  }
  return tokenizerText;
}

/** A temporary directory holding tokenizer.json, and a config object for it (override anything). */
export async function tinyRun(
  overrides: Record<string, unknown> = {},
): Promise<{ dir: string; config: Record<string, unknown> }> {
  const dir = mkdtempSync(join(tmpdir(), 'falcon-trainer-'));
  made.push(dir);
  writeFileSync(join(dir, 'tokenizer.json'), await tinyTokenizer());
  const config = {
    out: 'run',
    backend: 'wasm',
    // tiny-a's shape and multipliers, but for lm_head's: 0.5B's value scaled by μP's 1/width rule to hidden 96
    // (0.0390625 · 1024/96 ≈ 0.42), without which a 96-wide head learns its logits slowly.
    model: { config: TINY_A_CONFIG, overrides: { lm_head_multiplier: 0.4 }, seed: 1 },
    tokenizer: 'tokenizer.json',
    data: {
      sources: [
        { name: 'licenses', kind: 'text', paths: [join(ASSETS, 'corpus', 'train.txt')], textSplit: 'blank-line' },
      ],
      seqLen: 64,
      seed: 3,
    },
    eval: {
      sources: [
        { name: 'held-out', kind: 'text', paths: [join(ASSETS, 'corpus', 'held-out.txt')], textSplit: 'blank-line' },
      ],
      every: 10,
      batches: 2,
    },
    steps: 40,
    batch: { rows: 4 },
    optimizer: { lr: 0.03, weightDecay: 0.01 },
    schedule: { warmupSteps: 3, decaySteps: 5 },
    checkpoint: { every: 20, keep: 1 },
    ...overrides,
  };
  return { dir, config };
}

/** Writes `config` as run.json in `dir` and returns its path. */
export function writeConfig(dir: string, config: Record<string, unknown>, name = 'run.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** A TrainerOutput that keeps the lines. */
export function collectOutput(): { lines: string[]; line(text: string): void } {
  const lines: string[] = [];
  return { lines, line: (text) => lines.push(text) };
}

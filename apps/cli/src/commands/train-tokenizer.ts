/**
 * `falcon-h1 train-tokenizer`: trains a byte-level BPE tokenizer on text files with @falcon-h1/tokenizer's
 * `trainBpe` (the same merges as Hugging Face's trainer) and writes tokenizer.json and tokenizer_config.json.
 */
import { parseArgs } from 'node:util';
import { FALCON_H1_STYLE_SPECIAL_TOKENS, PRE_TOKENIZER_PRESETS, type TrainBpeProgress } from '@falcon-h1/tokenizer';
import { trainBpeFromFiles } from '@falcon-h1/tokenizer/node';
import type { Command } from '../command.js';
import { type Io, processIo } from '../io.js';

const PRESETS = Object.keys(PRE_TOKENIZER_PRESETS);

const USAGE = [
  'Usage: falcon-h1 train-tokenizer --vocab-size N --out <dir> [options] <files...>',
  '',
  'Trains byte-level BPE on the files (read line by line) and writes <dir>/tokenizer.json, which Hugging Face',
  'loads, and <dir>/tokenizer_config.json. Shows a progress bar on standard error.',
  '',
  'Options:',
  '  --vocab-size <n>             vocabulary size, special tokens and the 256 byte characters included',
  '  --out <dir>                  output directory (created if missing)',
  `  --pre-tokenizer <name>       ${PRESETS.join(', ')} (default llama3)`,
  '  --min-frequency <n>          merge only pairs seen at least n times (default 0)',
  '  --special-tokens <a,b,...>   special tokens, given the lowest ids in this order',
  '  --falcon-special-tokens      use Falcon-style special tokens (<|pad|>, >>ABSTRACT<<, ...)',
  '  --bos-token <token>          prepend this special token to every sequence',
  '  --no-progress                no progress bar',
].join('\n');

class UsageError extends Error {}

function positiveInteger(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a non-negative integer, got '${text}'`);
  return Number(text);
}

/** A progress bar: redrawn in place on a terminal, one line per tenth otherwise. */
class ProgressBar {
  private lastLine = '';
  private lastTenth = -1;
  private lastPhase = '';
  private readonly tty: boolean;

  constructor(private readonly io: Io) {
    this.tty = io === processIo && process.stderr.isTTY === true;
  }

  update(p: TrainBpeProgress): void {
    const label = { 'count-words': 'counting words', 'count-pairs': 'counting pairs', merge: 'merging' }[p.phase];
    if (p.total === 0) {
      const line = `${label}: ${p.done} texts`;
      if (this.tty) process.stderr.write(`\r${line.padEnd(this.lastLine.length)}`);
      this.lastLine = line;
      return;
    }
    const fraction = Math.min(1, p.done / p.total);
    const width = 30;
    const filled = Math.round(fraction * width);
    const line = `${label.padEnd(15)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${p.done}/${p.total}`;
    if (this.tty) {
      process.stderr.write(`\r${line}`);
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth !== this.lastTenth || p.phase !== this.lastPhase) this.io.err(line);
      this.lastTenth = tenth;
      this.lastPhase = p.phase;
    }
    this.lastLine = line;
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

export const trainTokenizerCommand: Command = {
  name: 'train-tokenizer',
  summary: 'Train a byte-level BPE tokenizer on text files (Hugging Face-compatible tokenizer.json)',
  usage: USAGE,
  async run(args, { io }) {
    let parsed: ReturnType<typeof parseArgs>;
    let vocabSize: number;
    let minFrequency: number | undefined;
    try {
      parsed = parseArgs({
        args: [...args],
        options: {
          'vocab-size': { type: 'string' },
          out: { type: 'string' },
          'pre-tokenizer': { type: 'string', default: 'llama3' },
          'min-frequency': { type: 'string' },
          'special-tokens': { type: 'string' },
          'falcon-special-tokens': { type: 'boolean', default: false },
          'bos-token': { type: 'string' },
          'no-progress': { type: 'boolean', default: false },
        },
        allowPositionals: true,
        strict: true,
      });
      const v = parsed.values;
      const size = positiveInteger(v['vocab-size'] as string | undefined, '--vocab-size');
      if (size === undefined || size === 0) throw new UsageError('--vocab-size is required (a positive integer)');
      vocabSize = size;
      minFrequency = positiveInteger(v['min-frequency'] as string | undefined, '--min-frequency');
      if (v.out === undefined) throw new UsageError('--out is required');
      if (!PRESETS.includes(v['pre-tokenizer'] as string)) {
        throw new UsageError(`--pre-tokenizer must be one of ${PRESETS.join(', ')}`);
      }
      if (parsed.positionals.length === 0) throw new UsageError('give at least one training file');
      if (v['special-tokens'] !== undefined && v['falcon-special-tokens']) {
        throw new UsageError('give --special-tokens or --falcon-special-tokens, not both');
      }
    } catch (error) {
      io.err(`falcon-h1 train-tokenizer: ${(error as Error).message}`);
      io.err("Run 'falcon-h1 train-tokenizer --help' for the options.");
      return 2;
    }
    const v = parsed.values;
    const specialTokens = v['falcon-special-tokens']
      ? [...FALCON_H1_STYLE_SPECIAL_TOKENS]
      : ((v['special-tokens'] as string | undefined)?.split(',').filter((t) => t !== '') ?? []);
    const bar = v['no-progress'] ? undefined : new ProgressBar(io);
    const started = performance.now();
    const result = await trainBpeFromFiles(parsed.positionals, v.out as string, {
      vocabSize,
      minFrequency,
      specialTokens,
      preTokenizer: v['pre-tokenizer'] as keyof typeof PRE_TOKENIZER_PRESETS,
      bosToken: v['bos-token'] as string | undefined,
      onProgress: bar === undefined ? undefined : (p) => bar.update(p),
    });
    bar?.done();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    io.out(
      `wrote ${v.out}/tokenizer.json: ${result.vocab.length} tokens, ${result.merges.length} merges (${seconds} s)`,
    );
    return 0;
  },
};

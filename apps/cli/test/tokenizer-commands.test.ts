/** `falcon-h1 train-tokenizer` and `falcon-h1 tokenize`, run in-process on a tokenizer trained in a temp folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as m from '../src/index.js';

function collector(): m.Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

const dir = mkdtempSync(join(tmpdir(), 'cli-tokenizer-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(
  corpus,
  'the quick brown fox jumps over the lazy dog\nthe dog sleeps, the fox runs 12345 times\n'.repeat(50),
);
const out = join(dir, 'trained');

describe('falcon-h1 train-tokenizer / tokenize', () => {
  it('trains a tokenizer with a progress bar and writes tokenizer.json', async () => {
    const io = collector();
    const code = await m.main(
      [
        'train-tokenizer',
        '--vocab-size',
        '300',
        '--out',
        out,
        '--falcon-special-tokens',
        '--pre-tokenizer',
        'falcon-h1',
        corpus,
      ],
      io,
    );
    expect(code).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/wrote .*tokenizer\.json: 300 tokens, \d+ merges/);
    expect(io.stderr.some((line) => /merging .*\[#+.*\] 100%/.test(line))).toBe(true);
  });

  it('prints one JSON array of ids per input line with --jsonl, special tokens only on request', async () => {
    const plain = collector();
    expect(
      await m.main(['tokenize', '--tokenizer', out, '--text', 'the fox\n>>ABSTRACT<< dog', '--jsonl'], plain),
    ).toBe(0);
    expect(plain.stdout).toHaveLength(2);
    const [first, second] = plain.stdout.map((line) => JSON.parse(line) as number[]);
    expect(first.length).toBeGreaterThan(0);
    expect(second[0]).toBe(1); // >>ABSTRACT<< is special token 1 (after <|pad|>)
    const dog = collector();
    expect(await m.main(['tokenize', '--tokenizer', out, '--text', 'the dog', '--jsonl'], dog)).toBe(0);
    const file = join(dir, 'lines.txt');
    writeFileSync(file, 'the fox\r\nthe dog\n');
    const fromFile = collector();
    expect(
      await m.main(['tokenize', '--tokenizer', join(out, 'tokenizer.json'), '--file', file, '--jsonl'], fromFile),
    ).toBe(0);
    expect(fromFile.stdout).toEqual([plain.stdout[0], dog.stdout[0]]);
    const withSpecial = collector();
    expect(
      await m.main(
        ['tokenize', '--tokenizer', out, '--text', 'the fox', '--jsonl', '--add-special-tokens'],
        withSpecial,
      ),
    ).toBe(0);
    expect(withSpecial.stdout).toEqual(plain.stdout.slice(0, 1)); // this tokenizer's post-processor adds none
  });

  it('prints tokens with offsets and decodes them back', async () => {
    const io = collector();
    expect(await m.main(['tokenize', '--tokenizer', out, '--text', 'the lazy fox', '--decode'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^\d+\t"the"\t0-3$/);
    expect(io.stdout.at(-1)).toBe('decoded: "the lazy fox"');
  });

  it('reports usage errors and bad tokenizers', async () => {
    const io = collector();
    expect(await m.main(['tokenize', '--text', 'x'], io)).toBe(2);
    expect(io.stderr[0]).toContain('--tokenizer is required');
    const missing = collector();
    expect(await m.main(['tokenize', '--tokenizer', join(dir, 'nope'), '--text', 'x'], missing)).toBe(1);
    expect(missing.stderr[0]).toContain("no tokenizer at '");
    const train = collector();
    expect(await m.main(['train-tokenizer', '--out', out, corpus], train)).toBe(2);
    expect(train.stderr[0]).toContain('--vocab-size is required');
  });
});

/** Writes test sources into a fresh temporary directory: known documents, so expected tokens are computable. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'falcon-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const WORDS = [
  'license',
  'software',
  'the',
  'of',
  'copyright',
  'permission',
  'notice',
  'granted',
  'free',
  'warranty',
  'code',
  'def',
  'return',
  'x',
  '42',
  'é',
  '日本',
];

/** A deterministic document of roughly `words` words (a tiny LCG, so files are the same on every run). */
export function makeDocument(seed: number, words: number): string {
  let state = seed * 2654435761 + 12345;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out.push(WORDS[state % WORDS.length]!);
  }
  return `${seed}: ${out.join(' ')}`;
}

/** A JSONL file with one document per line in field `text` (plus a distractor field). */
export function writeJsonl(path: string, docs: readonly string[]): string {
  writeFileSync(path, docs.map((text, i) => JSON.stringify({ id: i, text })).join('\n') + '\n');
  return path;
}

/** Documents of `count` with lengths varying between short and longer than a test row. */
export function makeDocuments(count: number, seedBase: number, maxWords = 40): string[] {
  return Array.from({ length: count }, (_, i) => makeDocument(seedBase + i, 1 + ((i * 7 + seedBase) % maxWords)));
}

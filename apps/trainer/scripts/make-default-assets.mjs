#!/usr/bin/env node
// Rebuilds the embedded default run's data in apps/trainer/assets/ from a source text (default: the English licence
// texts of /work/shared/corpus, see assets/PROVENANCE.md):
//   assets/corpus/train.txt, assets/corpus/held-out.txt   every 20th paragraph held out
//   assets/tokenizer.json                                  byte-level BPE (falcon-h1 pre-tokenizer), 2048 ids, trained on train.txt
// Deterministic: running it again on the same text gives the same bytes. Needs the trainer built (`pnpm build`).
//   node apps/trainer/scripts/make-default-assets.mjs [source.txt] && npx biome format --write apps/trainer/assets
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitCorpus, trainDefaultTokenizer } from '../dist/default-run/default-assets.js';

const source = process.argv[2] ?? '/work/shared/corpus/english-licenses.txt';
const assets = fileURLToPath(new URL('../assets/', import.meta.url));
const { train, heldOut } = splitCorpus(readFileSync(source, 'utf8'));
mkdirSync(`${assets}corpus`, { recursive: true });
writeFileSync(`${assets}corpus/train.txt`, train);
writeFileSync(`${assets}corpus/held-out.txt`, heldOut);
writeFileSync(`${assets}tokenizer.json`, await trainDefaultTokenizer(train));
console.log(
  `wrote ${assets}corpus/train.txt (${train.length} chars), corpus/held-out.txt (${heldOut.length} chars), tokenizer.json`,
);

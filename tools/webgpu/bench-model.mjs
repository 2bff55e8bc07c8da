#!/usr/bin/env node
// bench-model.mjs — Falcon-H1 model speed on the WebGPU backend (issue #6): random weights of a Falcon-H1 shape
// (default the 0.5B preset, `falconH1Preset('0.5B')`; or tiny-a's config), in f32 and — when the adapter has
// shader-f16 — f16:
//   prefill  1×T tokens (T = 512 and 2048 by default): one forward with the last position's logits, as
//            generation's prefill computes them, then the greedy token read back; tokens/s, median of 3 after 1
//            warm-up;
//   decode   batch 1 after a 128-token prompt, three ways: generate()'s hybrid cache; the StaticDecoder (in-place
//            fixed-capacity caches) eagerly; the StaticDecoder replaying its step captured as a graph
//            (`backend.graphs`), whose greedy tokens must equal the eager ones. Per step the last token's forward
//            and an on-device argmax, only the chosen token (4 bytes) read back; 4 warm-up steps then ≥ 32 timed;
//            also the backend's work counters per step (pipelines compiled, submits, dispatches, new bind groups,
//            graph replays), the host time spent encoding (or replaying) the step, and the eager step's
//            dispatches per program. A fourth row replays with the host one step ahead of its reads (each step
//            submitted before the previous token is awaited): the overlap generation could have.
// Wall-clock times; every timed region ends with a readback, so the GPU work is inside it. Prints one JSON line
// per result, then the whole run as one JSON line and a table; with $OUT set, writes $OUT/bench-model-webgpu.json.
// Runs bundled: `node tools/webgpu/bundle-gpu.mjs` writes .gpu/webgpu-model/bench-model.mjs with Dawn beside it.
//
// With --profile, one more replay of the captured step is timed on the GPU dispatch by dispatch (timestamp queries,
// the backend's `profileNextReplay`, where the adapter has 'timestamp-query'): GPU µs per program, largest first,
// in the graph replay's row (`gpuProfile`) and as a table at the end. Each dispatch then runs in a compute pass of
// its own, so the profiled step is slower than a plain replay; the per-dispatch times are the kernels' own.
//
//   node bench-model.mjs [--shape 0.5B|tiny-a] [--layers N] [--vocab N] [--dtypes f32,f16]
//                        [--prefill 512,2048] [--prompt 128] [--steps 64] [--seed 7] [--profile]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createWebGPUBackend } from '@falcon-h1/backend-webgpu/base';
import { argMax, reshape, tensor, tidy, useBackend } from '@falcon-h1/core-tensor';
import {
  falconH1ConfigJsonText,
  falconH1ParameterCount,
  falconH1Preset,
  parseFalconH1Config,
  parseFalconH1ConfigJson,
  parsePythonJson,
  randomFalconH1,
  StaticDecoder,
} from '@falcon-h1/hybrid-block';

const { values: opts } = parseArgs({
  options: {
    shape: { type: 'string', default: '0.5B' },
    layers: { type: 'string' },
    vocab: { type: 'string' },
    dtypes: { type: 'string', default: 'f32,f16' },
    prefill: { type: 'string', default: '512,2048' },
    prompt: { type: 'string', default: '128' },
    steps: { type: 'string', default: '64' },
    seed: { type: 'string', default: '7' },
    profile: { type: 'boolean', default: false },
  },
});
const MIN_DECODE_STEPS = 32;
const WARMUP_STEPS = 4;
const PREFILL_REPEATS = 3;

/** The model shape: a preset or tiny-a (its config.json is inlined by bundle-gpu.mjs), with optional overrides. */
function benchConfig() {
  let config;
  if (opts.shape === 'tiny-a') {
    // TINY_A_CONFIG_JSON: tiny-a's config.json text, put in by esbuild's `define` (bundle-gpu.mjs).
    config = parseFalconH1ConfigJson(TINY_A_CONFIG_JSON, 'tests/fixtures/tiny-a/config.json');
  } else config = falconH1Preset(opts.shape).config;
  if (opts.layers === undefined && opts.vocab === undefined) return config;
  const json = parsePythonJson(falconH1ConfigJsonText(config));
  if (opts.layers !== undefined) json.num_hidden_layers = Number(opts.layers);
  if (opts.vocab !== undefined) json.vocab_size = Number(opts.vocab);
  return parseFalconH1Config(json, `${opts.shape} with --layers/--vocab`);
}

const positiveInts = (text, what) =>
  text.split(',').map((word) => {
    const n = Number(word);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${what}: '${word}' is not a positive integer`);
    return n;
  });

const config = benchConfig();
const prefillLengths = positiveInts(opts.prefill, 'prefill');
const [promptLength] = positiveInts(opts.prompt, 'prompt');
const [decodeSteps] = positiveInts(opts.steps, 'steps');
if (decodeSteps < MIN_DECODE_STEPS) throw new Error(`--steps: at least ${MIN_DECODE_STEPS} decode steps are timed`);

const backend = await createWebGPUBackend();
useBackend(backend);
const shapeName = `${opts.shape}${opts.layers ? ` L=${opts.layers}` : ''}${opts.vocab ? ` V=${opts.vocab}` : ''}`;
const parameters = falconH1ParameterCount(config);
// Dawn toggles in force (gpu.ts reads them), e.g. 'enable-dawn-features=skip_validation,disable_robustness'.
const dawnFlags = process.env.FALCON_WEBGPU_DAWN_FLAGS || undefined;
console.log(
  `# ${backend.device}; shader-f16: ${backend.hasF16}; Falcon-H1 ${shapeName}: ${parameters} parameters` +
    (dawnFlags ? `; Dawn flags: ${dawnFlags}` : ''),
);
const results = [];
function report(row) {
  const full = { shape: shapeName, ...row };
  results.push(full);
  console.log(JSON.stringify(full));
}

/** Token ids in [0, vocab) from a fixed xorshift stream (same prompt every run). */
function tokenIds(count, seed) {
  const ids = new Int32Array(count);
  let s = seed | 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    ids[i] = (s >>> 0) % config.vocab_size;
  }
  return ids;
}

/** The greedy next token of `ids` [1, T] (a tensor, left on the device), with the cache when given. */
const nextToken = (model, ids, cache) => tidy(() => argMax(model.forward(ids, { cache, logitsToKeep: 1 }).logits, -1));

async function prefill(model, dtype, t) {
  const ids = tensor(tokenIds(t, 11), [1, t], 'i32');
  const times = [];
  for (let r = 0; r <= PREFILL_REPEATS; r++) {
    const start = performance.now();
    const next = nextToken(model, ids);
    await next.data();
    next.dispose();
    if (r > 0) times.push(performance.now() - start);
  }
  ids.dispose();
  const ms = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  report({ what: 'prefill', dtype, batch: 1, tokens: t, ms, tokensPerSecond: t / (ms / 1000) });
}

/**
 * Times `step` (enqueues one decode step and returns the tensor of its greedy token, which is read back): 4 warm-up
 * steps, then `decodeSteps` timed ones. Returns the row's measurements and every token chosen (warm-up included).
 * With `ahead`, each step is submitted before the previous step's token is awaited (the greedy token never leaves
 * the device, so the host can run one step ahead of its reads): the host's work overlaps the GPU's.
 */
async function timeDecode(step, ahead = false) {
  const tokens = [];
  let encodeMs = 0;
  let pending;
  const one = async () => {
    const encodeStart = performance.now();
    const chosen = step();
    if (ahead) backend.flush();
    // Host time spent building (or replaying) the step, before waiting for the GPU.
    encodeMs += performance.now() - encodeStart;
    if (!ahead) {
      tokens.push(...(await chosen.data())); // the one readback of the step: the chosen token
      return;
    }
    if (pending) tokens.push(...(await pending));
    // Queued now, before the next step overwrites the token: it reads this step's.
    pending = chosen.data();
  };
  for (let i = 0; i < WARMUP_STEPS; i++) await one();
  encodeMs = 0;
  const before = backend.stats();
  const start = performance.now();
  for (let i = 0; i < decodeSteps; i++) await one();
  const ms = (performance.now() - start) / decodeSteps;
  const after = backend.stats();
  if (pending) tokens.push(...(await pending));
  const perStep = (key) => (after[key] - before[key]) / decodeSteps;
  const row = {
    batch: 1,
    prompt: promptLength,
    steps: decodeSteps,
    msPerStep: ms,
    encodeMsPerStep: encodeMs / decodeSteps,
    tokensPerSecond: 1000 / ms,
    pipelinesPerStep: perStep('pipelinesCreated'),
    submitsPerStep: perStep('submits'),
    dispatchesPerStep: perStep('dispatches'),
    readbacksPerStep: perStep('readbacks'),
    bindGroupsPerStep: perStep('bindGroupsCreated'),
    graphReplaysPerStep: perStep('graphReplays'),
  };
  return { row, tokens };
}

/** Decode through generate()'s hybrid cache (the cache grows by concatenation: new buffers every step). */
async function decodeHybrid(model, dtype) {
  const cache = model.createCache(1);
  const prompt = tensor(tokenIds(promptLength, 13), [1, promptLength], 'i32');
  let next = nextToken(model, prompt, cache);
  prompt.dispose();
  const first = (await next.data())[0];
  try {
    const { row, tokens } = await timeDecode(() => {
      const input = reshape(next, [1, 1]);
      const chosen = nextToken(model, input, cache);
      input.dispose();
      next.dispose();
      next = chosen;
      return chosen;
    });
    report({ what: 'decode (hybrid cache)', dtype, ...row });
    return [first, ...tokens];
  } finally {
    next.dispose();
    cache.dispose();
  }
}

/**
 * Decode through the StaticDecoder (fixed-capacity caches written in place with the backend's `overwrite`), eagerly
 * (every step encodes its ~2,000 kernels; they bind the same buffers each step, so bind groups come from the cache)
 * or replaying the step captured once as a graph (`backend.graphs`). The eager run also profiles one extra step:
 * its dispatches per program.
 */
async function decodeStatic(model, capture, ahead = false) {
  const prompt = Array.from(tokenIds(promptLength, 13));
  const decoder = new StaticDecoder(model, [prompt], {
    maxLength: promptLength + WARMUP_STEPS + decodeSteps + 2,
    capture,
  });
  try {
    const first = (await decoder.nextTokens.data())[0];
    const { row, tokens } = await timeDecode(() => decoder.step().tokens, ahead);
    const extra = {};
    if (!capture && !ahead) {
      const programs = backend.countDispatches(() => decoder.step());
      extra.programs = programs;
      await backend.synchronize();
    }
    if (capture && !ahead && opts.profile) extra.gpuProfile = await profileReplay(decoder);
    return { row: { ...row, ...extra }, tokens: [first, ...tokens] };
  } finally {
    decoder.dispose();
  }
}

/** GPU time per program of one more replay of the decoder's captured step (--profile), or why there is none. */
async function profileReplay(decoder) {
  if (typeof backend.profileNextReplay !== 'function') {
    return { error: 'this WebGPU backend has no profileNextReplay (timed graph replays)' };
  }
  try {
    const pending = backend.profileNextReplay();
    await decoder.step().tokens.data();
    return await pending;
  } catch (error) {
    return { error: error.message };
  }
}

async function decode(model, dtype) {
  let hybrid;
  try {
    hybrid = await decodeHybrid(model, dtype);
  } catch (error) {
    report({ what: 'decode (hybrid cache)', dtype, batch: 1, prompt: promptLength, error: error.message });
  }
  let eager;
  try {
    eager = await decodeStatic(model, false);
    report({
      what: 'decode (static, eager)',
      dtype,
      ...eager.row,
      // Random weights may leave near-ties that the two cache layouts break apart; reported, not required.
      tokensEqualHybrid: hybrid ? sameTokens(eager.tokens, hybrid) : undefined,
    });
  } catch (error) {
    report({ what: 'decode (static, eager)', dtype, batch: 1, prompt: promptLength, error: error.message });
  }
  try {
    const graph = await decodeStatic(model, true);
    // The replayed step runs exactly the eager step's kernels on the same values: its tokens must be identical.
    const equal = eager ? sameTokens(graph.tokens, eager.tokens) : undefined;
    report({
      what: 'decode (static, graph replay)',
      dtype,
      ...graph.row,
      tokensEqualEager: equal,
      ...(equal === false
        ? { error: `greedy tokens differ from the eager StaticDecoder's: ${graph.tokens} vs ${eager.tokens}` }
        : {}),
    });
  } catch (error) {
    report({ what: 'decode (static, graph replay)', dtype, batch: 1, prompt: promptLength, error: error.message });
  }
  const what = 'decode (static, graph replay, host one step ahead)';
  try {
    const graph = await decodeStatic(model, true, true);
    const equal = eager ? sameTokens(graph.tokens, eager.tokens) : undefined;
    report({
      what,
      dtype,
      ...graph.row,
      tokensEqualEager: equal,
      ...(equal === false ? { error: `greedy tokens differ from the eager StaticDecoder's: ${graph.tokens}` } : {}),
    });
  } catch (error) {
    report({ what, dtype, batch: 1, prompt: promptLength, error: error.message });
  }
}

const sameTokens = (a, b) => a.length === b.length && a.every((t, i) => t === b[i]);

for (const dtype of opts.dtypes.split(',')) {
  if (!backend.capabilities.dtypes.includes(dtype)) {
    report({
      what: 'skipped',
      dtype,
      error: `the adapter does not compute in ${dtype} (shader-f16: ${backend.hasF16})`,
    });
    continue;
  }
  const started = performance.now();
  let model;
  try {
    model = randomFalconH1(config, { dtype, seed: Number(opts.seed) });
    await backend.synchronize();
  } catch (error) {
    report({ what: 'load', dtype, error: error.message });
    continue;
  }
  console.log(`# ${dtype}: random weights uploaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const t of prefillLengths) {
    try {
      await prefill(model, dtype, t);
    } catch (error) {
      report({ what: 'prefill', dtype, batch: 1, tokens: t, error: error.message });
    }
  }
  await decode(model, dtype);
  model.dispose();
}

const summary = { device: backend.device, shaderF16: backend.hasF16, dawnFlags, shape: shapeName, parameters, results };
console.log(JSON.stringify(summary));
if (process.env.OUT)
  writeFileSync(join(process.env.OUT, 'bench-model-webgpu.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log('\n| what | dtype | tokens | ms | tokens/s | per decode step |');
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const r of results) {
  const tokens = r.what.startsWith('decode') ? `${r.prompt}+${r.steps ?? ''}` : (r.tokens ?? '');
  const ms = r.ms ?? r.msPerStep;
  const step =
    r.what.startsWith('decode') && !r.error
      ? `${r.pipelinesPerStep} pipelines, ${r.submitsPerStep} submits, ${r.dispatchesPerStep} dispatches, ${r.bindGroupsPerStep} new bind groups, ${r.encodeMsPerStep.toFixed(2)} ms host encoding${r.tokensEqualEager ? ', tokens = eager' : ''}`
      : (r.error ?? '');
  console.log(
    `| ${r.what} | ${r.dtype} | ${tokens} | ${ms === undefined ? '' : ms.toFixed(2)} | ${r.tokensPerSecond === undefined ? '' : r.tokensPerSecond.toFixed(1)} | ${step} |`,
  );
}
for (const r of results.filter((row) => row.gpuProfile)) {
  const p = r.gpuProfile;
  console.log(`\n## GPU time per program, one replayed decode step (${r.dtype})${p.error ? `: ${p.error}` : ''}`);
  if (p.error) continue;
  console.log(`${p.dispatches} dispatches, ${(p.totalUs / 1000).toFixed(2)} ms of GPU time in them\n`);
  console.log('| program | dispatches | total µs | share | mean µs | max µs |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, t] of Object.entries(p.programs)) {
    const share = `${((100 * t.totalUs) / p.totalUs).toFixed(1)}%`;
    console.log(
      `| ${name} | ${t.dispatches} | ${t.totalUs.toFixed(0)} | ${share} | ${t.meanUs.toFixed(1)} | ${t.maxUs.toFixed(1)} |`,
    );
  }
}
backend.dispose();

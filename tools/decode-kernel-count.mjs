#!/usr/bin/env node
// decode-kernel-count.mjs — how many kernels one decode step launches, per kernel name (issue #7: a launch-bound
// CUDA decode). A measurement tool, not a test: it runs on the CPU with a random model of Falcon-H1-0.5B's shapes
// but 2 layers and a small vocabulary; the per-layer figures scale to 36 layers. The backend must register the
// fused kernels the CUDA backend registers, so that the kernel mix is the one a CUDA step launches: the reference
// backend (default) registers every fused kernel; wasm (`--backend wasm`) all but a few (CacheWrite among them:
// its composition then shows as Fill/CumSum/Where kernels).
//
//   pnpm build (or: NX_DAEMON=false npx nx run-many -t build -p hybrid-block backend-reference backend-wasm)
//   node tools/decode-kernel-count.mjs [--backend reference|wasm] [--layers 2] [--vocab 1024] [--batch 1]
//        [--separate-mixers] [--json out.json]
//
// It counts every `ENGINE.runKernel` call (one kernel launch each on CUDA) and every in-place copy
// (`Backend.overwrite`, a device copy on CUDA) during one decode step, for
//   generate  — the hybrid cache path generate() runs (`model.forward` of one token with a FalconH1HybridCache
//               readied by `prepareDecodeSteps`, as generate() readies it),
//   static    — StaticDecoder.step() run eagerly (what a CUDA graph records); with --separate-mixers the decoder
//               runs each layer's SSM and attention steps as two kernels instead of one ParallelMixersDecodeStep
//               (StaticDecoderOptions.parallelMixers: false, the step before that fusion),
// in f32 and bf16, and the memory the layers' decode constants (weight copies with the μP multipliers folded in,
// packages/hybrid-block/src/layer-decode-constants.ts) hold per layer, and prints per-layer counts: (step count − count with one layer fewer) gives one layer's kernels;
// the rest (embedding, final norm, LM head, argmax, bookkeeping) is reported as "outside the layers".
// Fused kernels' native/fallback dispatch is read from core's `dispatchCounts()`: a fallback would mean the wasm
// backend lacks a kernel CUDA has, so the tool prints them.

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Imports a workspace package's build (dist) as the package at `dir` resolves it (one core-tensor for all). */
async function importFrom(dir, specifier) {
  const require = createRequire(join(ROOT, dir, 'package.json'));
  return import(pathToFileURL(require.resolve(specifier)).href);
}
const core = await importFrom('packages/hybrid-block', '@falcon-h1/core-tensor');
const { FalconH1ForCausalLM, falconH1Preset, parseFalconH1Config, randomFalconH1Parameters, StaticDecoder } =
  await importFrom('packages/hybrid-block', '@falcon-h1/hybrid-block');

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const layers = Number(flag('--layers', 2));
const vocab = Number(flag('--vocab', 1024));
const batch = Number(flag('--batch', 1));
const parallelMixers = !args.includes('--separate-mixers');
const promptLength = 8;

const backendName = flag('--backend', 'reference');
const backend =
  backendName === 'wasm'
    ? await (await importFrom('backends/wasm', '@falcon-h1/backend-wasm/base')).createWasmBackend({ threads: 1 })
    : (await importFrom('backends/reference', '@falcon-h1/backend-reference/base')).createReferenceBackend();
core.useBackend(backend);

/** The 0.5B preset with `n` layers and a small vocabulary. */
function configWith(n) {
  const base = falconH1Preset('0.5B').config;
  return parseFalconH1Config({ ...base, num_hidden_layers: n, vocab_size: vocab }, `0.5B shapes, ${n} layers`);
}

/** Runs `fn` and returns the kernels it launched: { name: count }, overwrites as 'overwrite (copy)'. */
function countKernels(fn) {
  const engine = core.ENGINE;
  const counts = new Map();
  const bump = (name) => counts.set(name, (counts.get(name) ?? 0) + 1);
  const runKernel = engine.runKernel;
  const overwrite = backend.overwrite;
  engine.runKernel = function (name, ...rest) {
    bump(name);
    return runKernel.call(this, name, ...rest);
  };
  if (overwrite) {
    backend.overwrite = function (...rest) {
      bump('overwrite (copy)');
      return overwrite.apply(this, rest);
    };
  }
  core.resetDispatchCounts();
  try {
    fn();
  } finally {
    engine.runKernel = runKernel;
    if (overwrite) backend.overwrite = overwrite;
  }
  return { counts: Object.fromEntries(counts), dispatch: core.dispatchCounts() };
}

const prompts = (b) =>
  Array.from({ length: b }, (_, r) => Array.from({ length: promptLength }, (_, i) => (r * 7 + i * 3 + 2) % vocab));

/** One decode step's kernels for a model with `n` layers, both paths. */
function measure(n, dtype) {
  const config = configWith(n);
  const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 3, dtype }));
  const result = {};
  try {
    // generate()'s path: prefill through the hybrid cache, then one token.
    const cache = model.createCache(batch);
    // As generate() does (where the cache has it: older trees had no decode constants); what the constants hold
    // (folded weight copies) is measured as the backend's bytes before and after.
    const bytesBefore = backend.memory().bytes;
    cache.prepareDecodeSteps?.(model.model.layers, dtype);
    result.constantsBytes = backend.memory().bytes - bytesBefore;
    const ids = core.tensor(Int32Array.from(prompts(batch).flat()), [batch, promptLength], 'i32');
    core.tidy(() => model.forward(ids, { cache, logitsToKeep: 1 }).logits);
    const next = core.tensor(new Int32Array(batch).fill(5), [batch, 1], 'i32');
    core.tidy(() => model.forward(next, { cache, logitsToKeep: 1 }).logits); // warm-up step
    result.generate = countKernels(() => core.tidy(() => model.forward(next, { cache, logitsToKeep: 1 }).logits));
    core.dispose([ids, next]);
    cache.dispose();
    // StaticDecoder's step, eager (as recorded into a CUDA graph).
    const decoder = new StaticDecoder(model, prompts(batch), {
      maxLength: promptLength + 4,
      capture: false,
      parallelMixers,
    });
    decoder.step();
    result.static = countKernels(() => decoder.step());
    decoder.dispose();
  } finally {
    core.dispose([...model.parameters.values()]);
  }
  return result;
}

const total = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
function perLayer(full, less) {
  const names = new Set([...Object.keys(full), ...Object.keys(less)]);
  const layer = {};
  for (const name of names) {
    const d = (full[name] ?? 0) - (less[name] ?? 0);
    if (d !== 0) layer[name] = d;
  }
  return layer;
}

const report = {};
const MiB = 2 ** 20;
for (const dtype of ['f32', 'bf16']) {
  const full = measure(layers, dtype);
  const less = measure(layers - 1, dtype);
  const constantsPerLayer = full.constantsBytes - less.constantsBytes;
  report[`decode constants ${dtype}`] = { bytesPerLayer: constantsPerLayer };
  console.log(
    `\n== decode constants, ${dtype}: ${(constantsPerLayer / MiB).toFixed(2)} MiB per layer, ` +
      `${((36 * constantsPerLayer) / MiB).toFixed(0)} MiB for the 0.5B's 36 layers (held while decoding)`,
  );
  for (const path of ['generate', 'static']) {
    const layer = perLayer(full[path].counts, less[path].counts);
    const outside = total(full[path].counts) - layers * total(layer);
    const fallbacks = Object.entries(full[path].dispatch)
      .filter(([, v]) => v.fallback > 0)
      .map(([k, v]) => `${k}×${v.fallback}`);
    report[`${path} ${dtype}`] = { perLayer: layer, perLayerTotal: total(layer), outside, step: full[path].counts };
    const variant = path === 'static' && !parallelMixers ? ' (--separate-mixers)' : '';
    console.log(
      `\n== ${path} step${variant}, ${dtype}, batch ${batch}, ${backend.name}: ${total(layer)} kernels per layer, ${outside} outside the layers`,
    );
    console.log(`   0.5B (36 layers): ${36 * total(layer) + outside} kernels per token`);
    if (fallbacks.length) console.log(`   fused kernels through their composition: ${fallbacks.join(', ')}`);
    for (const [name, count] of Object.entries(layer).sort((a, b) => b[1] - a[1])) {
      console.log(`   ${name.padEnd(24)} ${String(count).padStart(4)}`);
    }
  }
}
const json = flag('--json');
if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
backend.dispose?.();

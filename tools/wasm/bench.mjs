#!/usr/bin/env node
// Benchmarks of @falcon-h1/backend-wasm (not tests): f32 GEMM GFLOP/s against @tensorflow/tfjs-backend-wasm
// (XNNPACK, single-threaded in Node) and Falcon-H1 forward tokens/s, in one run on one machine.
//
//   pnpm build && node tools/wasm/bench.mjs [--quick] [--no-model] [--json out.json]
//
// GEMM: C[M×N] = A[M×K]·B (square shapes: B [K×N]; the model's shapes: B is a Linear weight [N×K], as the
// model calls it). Every (shape, engine) is timed in interleaved rounds and the best round is reported, since
// other processes share this machine. "ours 1T" is the single-threaded SIMD build, "ours 2T" the threads build
// with 2 threads; tfjs runs its SIMD build with one thread.
// Model: a forward pass over B×T tokens (random f32 weights), tiny-a and the 0.5B shape, both builds; each in a
// child process so that heaps do not add up.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WASM_PKG = join(ROOT, 'backends', 'wasm');
const args = process.argv.slice(2);
const quick = args.includes('--quick');

async function importFrom(dir, specifier) {
  const require = createRequire(join(dir, 'package.json'));
  return import(pathToFileURL(require.resolve(specifier)).href);
}

function randomFloats(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------- GEMM

const SQUARE = [256, 512, 1024].map((n) => ({ name: `${n}³`, M: n, N: n, K: n, transposeB: false }));
// Falcon-H1-0.5B, 128 tokens: in_proj, out_proj, q_proj, k/v_proj, o_proj, MLP gate/up, MLP down, lm_head.
const MODEL = [
  ['in_proj', 3352, 1024],
  ['out_proj', 1024, 1536],
  ['q_proj', 512, 1024],
  ['k_proj', 128, 1024],
  ['o_proj', 1024, 512],
  ['mlp gate/up', 2048, 1024],
  ['mlp down', 1024, 2048],
  ['lm_head', 32784, 1024],
].map(([name, N, K]) => ({ name: `0.5B ${name} 128×${N}×${K}`, M: 128, N, K, transposeB: true }));

async function gemmBench() {
  const { createWasmBackend } = await import(pathToFileURL(join(WASM_PKG, 'dist', 'base.js')).href);
  const tf = await importFrom(WASM_PKG, '@tensorflow/tfjs-core');
  await importFrom(WASM_PKG, '@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // XNNPACK single-threaded (its Node configuration)
  await tf.setBackend('wasm');
  await tf.ready();
  const simd = await createWasmBackend({ build: 'simd' });
  const threads = await createWasmBackend({ build: 'threads', threads: 2 });
  const engines = {
    'ours 1T': simd,
    'ours 2T': threads,
  };
  const rows = [];
  for (const shape of [...SQUARE, ...MODEL]) {
    const { M, N, K, transposeB } = shape;
    const a = randomFloats(M * K, 1);
    const b = randomFloats(K * N, 2);
    const flops = 2 * M * N * K;
    const reps = Math.max(1, Math.round((quick ? 0.05e9 : 0.25e9) / flops));
    const runners = {};
    for (const [name, backend] of Object.entries(engines)) {
      const ia = { dataId: backend.write(a, [M, K], 'f32'), shape: [M, K], dtype: 'f32' };
      const bShape = transposeB ? [N, K] : [K, N];
      const ib = { dataId: backend.write(b, bShape, 'f32'), shape: bShape, dtype: 'f32' };
      runners[name] = {
        run() {
          for (let r = 0; r < reps; r++) {
            const out = backend.kernels.MatMul({ a: ia, b: ib }, { transposeA: false, transposeB });
            backend.disposeData(out.dataId);
          }
        },
        done() {
          backend.disposeData(ia.dataId);
          backend.disposeData(ib.dataId);
        },
      };
    }
    // tfjs is timed in both layouts of B ([N, K] transposed as the model stores weights, and [K, N]); its faster
    // one is reported (its transposed-B path is much slower).
    const ta = tf.tensor2d(a, [M, K]);
    const layouts = transposeB ? [true, false] : [false];
    const tbs = layouts.map((t) => tf.tensor2d(b, t ? [N, K] : [K, N]));
    layouts.forEach((t, i) => {
      runners[`tfjs-wasm 1T${t ? ' bT' : ''}`] = {
        run() {
          for (let r = 0; r < reps; r++) tf.matMul(ta, tbs[i], false, t).dispose();
        },
        done() {
          tbs[i].dispose();
        },
      };
    });
    runners.tfjsA = { run() {}, done: () => ta.dispose() };
    const best = {};
    for (const runner of Object.values(runners)) runner.run(); // warm-up (tfjs caches packed weights per tensor)
    const rounds = quick ? 3 : 7;
    for (let round = 0; round < rounds; round++) {
      for (const [name, runner] of Object.entries(runners)) {
        const t0 = performance.now();
        runner.run();
        const seconds = (performance.now() - t0) / 1000;
        best[name] = Math.max(best[name] ?? 0, (flops * reps) / seconds / 1e9);
      }
    }
    for (const runner of Object.values(runners)) runner.done();
    delete best.tfjsA;
    best['tfjs-wasm 1T'] = Math.max(best['tfjs-wasm 1T'] ?? 0, best['tfjs-wasm 1T bT'] ?? 0);
    const row = { shape: shape.name, ...best };
    rows.push(row);
    console.log(
      `${shape.name.padEnd(36)} ours 1T ${best['ours 1T'].toFixed(1).padStart(5)}  ours 2T ${best['ours 2T'].toFixed(1).padStart(5)}  tfjs 1T ${best['tfjs-wasm 1T'].toFixed(1).padStart(5)} GFLOP/s   1T/tfjs ${(best['ours 1T'] / best['tfjs-wasm 1T']).toFixed(2)}×  2T/tfjs ${(best['ours 2T'] / best['tfjs-wasm 1T']).toFixed(2)}×  2T/1T ${(best['ours 2T'] / best['ours 1T']).toFixed(2)}×`,
    );
  }
  simd.dispose();
  threads.dispose();
  return rows;
}

// ------------------------------------------------------------------------------------------------ model

async function modelChild(size, build, tokens) {
  const hb = await import(pathToFileURL(join(ROOT, 'packages', 'hybrid-block', 'dist', 'index.js')).href);
  const core = await importFrom(join(ROOT, 'packages', 'hybrid-block'), '@falcon-h1/core-tensor');
  const { createWasmBackend } = await import(pathToFileURL(join(WASM_PKG, 'dist', 'base.js')).href);
  const backend = await createWasmBackend({ build, threads: build === 'threads' ? 2 : 1 });
  core.useBackend(backend);
  let config;
  if (size === 'tiny-a') {
    const { readFileSync } = await import('node:fs');
    config = hb.parseFalconH1ConfigJson(readFileSync(join(ROOT, 'tests', 'fixtures', 'tiny-a', 'config.json'), 'utf8'));
  } else {
    config = hb.falconH1Preset(size).config;
  }
  const t0 = performance.now();
  const model = hb.randomFalconH1(config, { backend, seed: 1 });
  const initSeconds = (performance.now() - t0) / 1000;
  const ids = core.tensor(
    Array.from({ length: tokens }, (_, i) => (i * 7919 + 3) % config.vocab_size),
    [1, tokens],
    'i32',
    backend,
  );
  const run = () =>
    core.tidy(() => {
      const { logits } = model.forward(ids);
      return logits.dataSync()[0];
    });
  run(); // warm-up
  const times = [];
  for (let i = 0; i < (size === 'tiny-a' ? 10 : 3); i++) {
    const t = performance.now();
    run();
    times.push((performance.now() - t) / 1000);
  }
  const best = Math.min(...times);
  const result = {
    model: size,
    build,
    threads: backend.threads,
    tokens,
    parameters: hb.falconH1ParameterCount(config),
    seconds: best,
    tokensPerSecond: tokens / best,
    heapBytes: backend.heapBytes(),
    initSeconds,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

function modelBench() {
  const rows = [];
  for (const [size, tokens] of [
    ['tiny-a', 128],
    ['0.5B', 128],
  ]) {
    for (const build of ['simd', 'threads']) {
      const child = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--model-child', size, build, String(tokens)],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        },
      );
      const line = child.stdout.trim().split('\n').pop();
      if (child.status !== 0 || !line?.startsWith('{')) {
        console.log(`${size} ${build}: FAILED\n${child.stdout}\n${child.stderr}`);
        rows.push({ model: size, build, error: (child.stderr || child.stdout).split('\n').slice(-5).join(' ') });
        continue;
      }
      const r = JSON.parse(line);
      rows.push(r);
      console.log(
        `${`${size} (${(r.parameters / 1e6).toFixed(1)}M params) forward, ${tokens} tokens`.padEnd(44)} ${build.padEnd(7)} ${String(r.threads)}T  ${r.tokensPerSecond.toFixed(1).padStart(8)} tokens/s  (${(r.seconds * 1000).toFixed(0)} ms; heap ${(r.heapBytes / 2 ** 30).toFixed(2)} GiB)`,
      );
    }
  }
  return rows;
}

if (args[0] === '--model-child') {
  await modelChild(args[1], args[2], Number(args[3]));
} else {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `falcon-h1 backend-wasm benchmarks — Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}, ${cpus().length}× ${cpus()[0]?.model}`,
  );
  console.log(
    `load average before: ${load()} (other processes share this machine: the best of interleaved rounds is reported)`,
  );
  const gemm = await gemmBench();
  console.log(`load average after GEMM: ${load()}`);
  const model = args.includes('--no-model') ? [] : modelBench();
  console.log(`load average after: ${load()}`);
  const jsonAt = args.indexOf('--json');
  if (jsonAt >= 0) writeFileSync(args[jsonAt + 1], `${JSON.stringify({ gemm, model }, null, 2)}\n`);
}

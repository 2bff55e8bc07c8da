#!/usr/bin/env node
// bundle-gpu.mjs — packs what a GPU host needs to build and certify @falcon-h1/backend-cuda into .gpu/cuda/
// (git-ignored; carried by the device tool). The GPU host has CUDA, a compiler and Python but no Node and no
// network, so everything JavaScript travels as esbuild bundles laid out as packages:
//   .gpu/cuda/node_modules/@falcon-h1/{core-tensor,backend-reference,backend-cuda}/index.js   (one core-tensor copy)
//   .gpu/cuda/conformance.mjs   the falcon-h1-conformance CLI (tests/conformance/src/cli.ts)
//   .gpu/cuda/bench.mjs         backends/cuda/bench/bench.ts (GEMM TFLOP/s and copy GB/s through the backend)
//   .gpu/cuda/fused.mjs         backends/cuda/bench/fused.ts (native fused kernels vs core's compositions)
//   .gpu/cuda/bench-model.mjs   tools/cuda/bench-model.ts (0.5B-shaped prefill/decode/training; peer: bench_model_torch.py)
//   .gpu/cuda/nccl-check.mjs   tools/cuda/nccl-check.ts (NCCL collectives + one data-parallel step, one process per GPU)
//   .gpu/cuda/parallel-{check,bench}{,-threads}.mjs   tools/cuda/parallel-*.ts (issue #10: every layout on NCCL vs
//                               one GPU, DP scaling and MP vs TP; -threads: their CPU dry runs on worker threads)
//   .gpu/cuda/cli.mjs           the falcon-h1 CLI (apps/cli/src/bin.ts), for `falcon-h1 launch`
//   .gpu/cuda/trainer/          apps/trainer's examples/0.5b-dp.json + the assets it reads (tools/cuda/train-dp-run.sh)
//   .gpu/cuda/serve-bench.mjs   apps/server/bench/serve-bench.mjs (streaming clients against the server, --backend cuda)
//   .gpu/cuda/gpu-tests.mjs     backends/cuda/test's GPU-only vitest files (tools/cuda/gpu-vitest/: vitest's matchers,
//                               a sequential runner)
//   .gpu/cuda/node-addon-api/   the C++ headers (the addon is built there: backends/cuda/native/build-direct.sh)
// The portable Node tarball comes from ../shared/tools/portable-node.sh .gpu. See tools/cuda/gpu-run.sh.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const OUT = join(ROOT, '.gpu', 'cuda');
const require = createRequire(join(ROOT, 'backends', 'cuda', 'package.json'));
const esbuild = require('esbuild');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@falcon-h1/source'],
  logLevel: 'warning',
  // The bundles are ESM; a few dependencies may still call require().
  banner: {
    js: "import { createRequire as __fhCreateRequire } from 'node:module'; const require = __fhCreateRequire(import.meta.url);",
  },
};

async function pkg(name, entry, external) {
  const dir = join(OUT, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, type: 'module', main: 'index.js' }, null, 2)}\n`);
  await esbuild.build({ ...common, entryPoints: [join(ROOT, entry)], outfile: join(dir, 'index.js'), external });
}

await pkg('@falcon-h1/core-tensor', 'packages/core-tensor/src/index.ts', []);
await pkg('@falcon-h1/backend-reference', 'backends/reference/src/index.ts', ['@falcon-h1/core-tensor']);
await pkg('@falcon-h1/backend-cuda', 'backends/cuda/src/index.ts', ['@falcon-h1/core-tensor', '*.node']);
const externals = ['@falcon-h1/core-tensor', '@falcon-h1/backend-*'];
await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'tests/conformance/src/cli.ts')],
  outfile: join(OUT, 'conformance.mjs'),
  external: externals,
});
for (const name of ['bench', 'fused']) {
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, `backends/cuda/bench/${name}.ts`)],
    outfile: join(OUT, `${name}.mjs`),
    external: externals,
  });
}
// The model benchmark (issue #7 §6) carries the model packages inline; its torch peer is tools/cuda/bench_model_torch.py.
await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'tools/cuda/bench-model.ts')],
  outfile: join(OUT, 'bench-model.mjs'),
  external: externals,
  // tools/ is not a workspace package: resolve the model packages through the conformance suite's dependencies.
  nodePaths: [join(ROOT, 'tests', 'conformance', 'node_modules')],
});
// The NCCL proof (issue #10 item 1) and the CLI that launches it, one process per GPU.
await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'tools/cuda/nccl-check.ts')],
  outfile: join(OUT, 'nccl-check.mjs'),
  external: externals,
  nodePaths: [
    join(ROOT, 'packages', 'parallelism', 'node_modules'),
    join(ROOT, 'tests', 'conformance', 'node_modules'),
  ],
});
cpSync(join(ROOT, 'tests/fixtures/tiny-a/config.json'), join(OUT, 'tiny-a-config.json'));
// Issue #10 on NCCL: every layout against one GPU, its CPU dry run (thread world, reference backend), and the
// DP-scaling and MP-vs-TP benchmarks; tools/cuda/parallel-run.sh runs them.
for (const name of ['parallel-check', 'parallel-check-threads', 'parallel-bench', 'parallel-bench-threads']) {
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, `tools/cuda/${name}.ts`)],
    outfile: join(OUT, `${name}.mjs`),
    external: externals,
    nodePaths: [
      join(ROOT, 'packages', 'parallelism', 'node_modules'),
      join(ROOT, 'tests', 'conformance', 'node_modules'),
    ],
  });
}
await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'apps/cli/src/bin.ts')],
  outfile: join(OUT, 'cli.mjs'),
  external: externals,
});
// Data-parallel training of the 0.5B shape (tools/cuda/train-dp-run.sh): the example config with the embedded
// tokenizer and corpus at the same relative paths, so `node cli.mjs train --config trainer/examples/0.5b-dp.json` works.
for (const file of ['examples/0.5b-dp.json', 'assets/tokenizer.json', 'assets/corpus/train.txt']) {
  cpSync(join(ROOT, 'apps/trainer', file), join(OUT, 'trainer', file));
}
// The serving benchmark (BENCHMARKS.md, Server): `node serve-bench.mjs --backend cuda --model <dir>`.
await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'apps/server/bench/serve-bench.mjs')],
  outfile: join(OUT, 'serve-bench.mjs'),
  external: externals,
});
// The package's GPU-only vitest files (backends/cuda/test), with vitest's matchers and a sequential runner in place of
// vitest, which cannot travel: `node gpu-tests.mjs` on the GPU host (tools/cuda/gpu-vitest/).
await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'tools/cuda/gpu-vitest/gpu-tests.mjs')],
  outfile: join(OUT, 'gpu-tests.mjs'),
  external: ['@falcon-h1/core-tensor', '*.node'],
  alias: { vitest: join(ROOT, 'tools/cuda/gpu-vitest/vitest-api.mjs') },
});
const addonApi = dirname(require.resolve('node-addon-api/package.json'));
cpSync(addonApi, join(OUT, 'node-addon-api'), {
  recursive: true,
  filter: (src) => !src.includes(`${addonApi}/tools`) && !src.endsWith('.md'),
});
console.log(`bundle-gpu: ${OUT}`);

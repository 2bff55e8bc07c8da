#!/usr/bin/env node
// check-compile.mjs — a compile-only check of the CUDA sources, part of this package's `test` script so that CI
// (which has no GPU) still proves the kernels build wherever nvcc is installed:
//   - every native/kernels/*.cu with `nvcc -std=c++17 -arch=sm_90 -c` (device code through ptxas, -O0 for speed);
//   - native/src/*.cc with the host compiler (-fsyntax-only) against Node's and node-addon-api's headers.
// cuBLASLt-dependent code is guarded by `__has_include(<cublasLt.h>)`: without the header mat_mul.cu builds its
// fallback GEMM only. Skipped, with a printed note, when nvcc (or, for the .cc files, g++ / Node headers) is missing.
// Exit code 1 when any file fails to compile.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const home = spawnSync(process.execPath, [join(here, 'config.cjs'), 'cuda-home'], { encoding: 'utf8' }).stdout.trim();
const nvcc = [join(home, 'bin', 'nvcc'), 'nvcc'].find((c) => spawnSync(c, ['--version']).status === 0);
if (!nvcc) {
  console.log('check-compile: nvcc not found (no CUDA toolkit): the CUDA sources were NOT compiled on this machine');
  process.exit(0);
}
const out = mkdtempSync(join(tmpdir(), 'falcon-h1-cuda-check-'));
const includes = spawnSync(process.execPath, [join(here, 'config.cjs'), 'include-dirs'], { encoding: 'utf8' })
  .stdout.trim()
  .split(' ')
  .filter(Boolean);

function run(command, args) {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('close', (code) => done({ code, text }));
    child.on('error', (error) => done({ code: 1, text: String(error) }));
  });
}

const jobs = [];
for (const file of readdirSync(join(here, 'kernels'))
  .filter((f) => f.endsWith('.cu'))
  .sort()) {
  const args = ['-std=c++17', '-arch=sm_90', '-O0', '-Xptxas', '-O0', ...includes.map((i) => `-I${i}`)];
  jobs.push({
    name: `kernels/${file}`,
    command: nvcc,
    args: [...args, '-c', join(here, 'kernels', file), '-o', join(out, `${file}.o`)],
  });
}
const gxx = ['g++', 'c++'].find((c) => spawnSync(c, ['--version']).status === 0);
const nodeHeaders = [resolve(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) =>
  existsSync(join(d, 'node_api.h')),
);
let addonApi;
try {
  addonApi = dirname(require.resolve('node-addon-api/package.json'));
} catch {
  addonApi = undefined;
}
if (gxx && nodeHeaders && addonApi) {
  for (const file of readdirSync(join(here, 'src')).filter((f) => f.endsWith('.cc'))) {
    jobs.push({
      name: `src/${file}`,
      command: gxx,
      args: [
        '-std=c++17',
        '-fsyntax-only',
        '-DNAPI_VERSION=8',
        '-DNAPI_CPP_EXCEPTIONS',
        `-I${nodeHeaders}`,
        `-I${addonApi}`,
        ...includes.map((i) => `-I${i}`),
        join(here, 'src', file),
      ],
    });
  }
} else {
  console.log('check-compile: no host compiler, Node headers or node-addon-api: native/src/*.cc were NOT checked');
}

const started = Date.now();
let failed = 0;
const queue = [...jobs];
const workers = Array.from({ length: Math.max(1, Math.min(availableParallelism(), 8)) }, async () => {
  while (queue.length > 0) {
    const job = queue.shift();
    const { code, text } = await run(job.command, job.args);
    if (code !== 0) {
      failed++;
      console.error(`check-compile: FAILED ${job.name}\n${text}`);
    }
  }
});
await Promise.all(workers);
rmSync(out, { recursive: true, force: true });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `check-compile: ${jobs.length - failed}/${jobs.length} CUDA/addon sources compile (${nvcc}, sm_90, ${seconds} s)`,
);
process.exit(failed === 0 ? 0 : 1);

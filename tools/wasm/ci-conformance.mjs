#!/usr/bin/env node
// The wasm step of `pnpm test:all`: certifies @falcon-h1/backend-wasm in both builds, in Node and (where Debian's
// chromium is installed) in headless Chromium, leaving one JSON per run in tests/conformance/.conformance-*.json
// for tools/ci/summarise-tests.mjs:
//   .conformance-wasm-simd.json       pnpm conformance --backend wasm   with FALCON_WASM_BUILD=simd
//   .conformance-wasm-threads.json    the same with FALCON_WASM_BUILD=threads
//   .conformance-wasm-chromium.json   backends/wasm/scripts/chromium-conformance.mjs (both builds)
// Chromium missing is a printed note, not a failure (CI needs no browser); a run that fails without writing its
// JSON is recorded as one failure.
//
// Usage: node tools/wasm/ci-conformance.mjs

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const OUT = join(ROOT, 'tests', 'conformance');
const CLI = join(OUT, 'dist', 'cli.js');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function run(label, file, command, args, env = {}) {
  rmSync(file, { force: true });
  console.log(`> ${label}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  const status = result.status ?? 1;
  if (status !== 0 && !existsSync(file)) {
    writeFileSync(
      file,
      `${JSON.stringify({ backend: label, passed: 0, failed: 1, note: `exited with ${status} without writing results` })}\n`,
    );
  }
  return status;
}

let status = 0;
if (!existsSync(CLI)) {
  console.warn(`!!! tools/wasm/ci-conformance: ${CLI} is missing (build tests/conformance): wasm NOT certified`);
  process.exit(1);
}
for (const build of ['simd', 'threads']) {
  const file = join(OUT, `.conformance-wasm-${build}.json`);
  const label = `wasm (${build} build, Node)`;
  status ||= run(
    `conformance --backend ${label}`,
    file,
    process.execPath,
    [CLI, '--backend', 'wasm', '--quiet', '--json', file],
    { FALCON_WASM_BUILD: build },
  );
  // Name the build in the summary line (the CLI records the registry name 'wasm').
  const report = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, `${JSON.stringify({ ...report, backend: label })}\n`);
}
const chromiumFile = join(OUT, '.conformance-wasm-chromium.json');
if (existsSync(CHROMIUM)) {
  const script = join(ROOT, 'backends', 'wasm', 'scripts', 'chromium-conformance.mjs');
  status ||= run(
    'conformance --backend wasm (simd and threads builds, headless Chromium)',
    chromiumFile,
    process.execPath,
    [script, '--quiet', '--summary', chromiumFile],
  );
} else {
  rmSync(chromiumFile, { force: true });
  console.log(
    `NOTE: no Chromium at ${CHROMIUM}: the wasm conformance in headless Chromium was skipped (apt-get install -y chromium)`,
  );
}
process.exit(status);

#!/usr/bin/env node
/**
 * Runs a TypeScript benchmark of this folder on the sources (no build first): bundles `bench/<name>.ts`
 * (scripts/bundle-sources.mjs, as the data-parallel tests bundle their worker), then runs it with the remaining
 * arguments.   node bench/run-bench.mjs end-of-run [args…]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from '../scripts/bundle-sources.mjs';

const [name, ...args] = process.argv.slice(2);
if (name === undefined) {
  console.error('usage: node bench/run-bench.mjs <name> [args…]   (bench/<name>.ts)');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'falcon-trainer-bench-'));
const outfile = join(dir, `${name}.mjs`);
try {
  await bundleSources(fileURLToPath(new URL(`./${name}.ts`, import.meta.url)), outfile);
  // The wasm backend's threads build starts its pool workers from a script beside the bundle, which loads the
  // module again: both come along.
  const wasmBuild = fileURLToPath(new URL('../../../backends/wasm/build/', import.meta.url));
  for (const file of readdirSync(wasmBuild).filter((f) => /\.m?js$/.test(f))) {
    copyFileSync(join(wasmBuild, file), join(dir, file));
  }
  const { status } = spawnSync(process.execPath, [...process.execArgv, outfile, ...args], { stdio: 'inherit' });
  process.exitCode = status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

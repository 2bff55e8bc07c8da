#!/usr/bin/env node
// bundle-gpu.mjs — packs the WebGPU model benchmark for a GPU host without Node modules into .gpu/webgpu-model/
// (git-ignored; carried by the device tool):
//   .gpu/webgpu-model/bench-model.mjs                          tools/webgpu/bench-model.mjs and every workspace
//                                                              package it uses, in one esbuild bundle
//   .gpu/webgpu-model/bench-replay-host.mjs                    tools/webgpu/bench-replay-host.mjs, likewise
//   .gpu/webgpu-model/node_modules/webgpu/…/linux-x64/dawn.node  the `webgpu` npm package (Dawn), which the
//                                                              backend imports at run time in Node
// On the host (Node ≥ 20 and a Vulkan driver): node .gpu/webgpu-model/bench-model.mjs [options of bench-model.mjs]
import { cpSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const OUT = join(ROOT, '.gpu', 'webgpu-model');
// The webgpu backend's and the playground's dependencies hold every package the benchmark imports.
const MODULES = [join(ROOT, 'backends', 'webgpu', 'node_modules'), join(ROOT, 'apps', 'playground', 'node_modules')];
const require = createRequire(join(ROOT, 'backends', 'webgpu', 'package.json'));
const esbuild = require('esbuild');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await esbuild.build({
  entryPoints: ['bench-model.mjs', 'bench-replay-host.mjs'].map((f) => join(ROOT, 'tools', 'webgpu', f)),
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@falcon-h1/source'],
  nodePaths: MODULES,
  // The backend loads Dawn with import('webgpu') at run time; it stays a package beside the bundle.
  external: ['webgpu'],
  define: {
    TINY_A_CONFIG_JSON: JSON.stringify(readFileSync(join(ROOT, 'tests', 'fixtures', 'tiny-a', 'config.json'), 'utf8')),
  },
  logLevel: 'warning',
});
const webgpu = dirname(realpathSync(require.resolve('webgpu/package.json')));
const target = join(OUT, 'node_modules', 'webgpu');
mkdirSync(join(target, 'dist', 'linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js']) cpSync(join(webgpu, f), join(target, f));
cpSync(join(webgpu, 'dist', 'linux-x64', 'dawn.node'), join(target, 'dist', 'linux-x64', 'dawn.node'));
console.log(`bundle-gpu: ${OUT}`);

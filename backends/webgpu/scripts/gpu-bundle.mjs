#!/usr/bin/env node
// Packs what the conformance CLI and the GEMM benchmark need on a GPU host that has no Node modules into
// <repo>/.gpu/webgpu.tar.xz: a node_modules tree with the built core-tensor, reference and webgpu backends, the
// conformance package, and the `webgpu` package (its prebuilt linux-x64 Dawn .node only), plus the bench scripts.
// Run `pnpm build` first. On the host: tar xJf .gpu/webgpu.tar.xz -C /tmp/w && cd /tmp/w &&
//   node node_modules/@falcon-h1/conformance/dist/cli.js --backend webgpu
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const stage = join(root, 'tmp', 'gpu-stage');
rmSync(stage, { recursive: true, force: true });
const nm = join(stage, 'node_modules');
// Every library package (the conformance suite reaches the model packages for its golden checks).
const dirs = [
  ...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)),
  join(root, 'backends', 'reference'),
  pkg,
  join(root, 'tests', 'conformance'),
];
for (const dir of dirs) {
  if (!existsSync(join(dir, 'dist')) || !existsSync(join(dir, 'package.json'))) continue;
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const target = join(nm, name);
  mkdirSync(target, { recursive: true });
  cpSync(join(dir, 'package.json'), join(target, 'package.json'));
  cpSync(join(dir, 'dist'), join(target, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.map') });
}
const require = createRequire(join(pkg, 'package.json'));
const webgpu = dirname(realpathSync(require.resolve('webgpu/package.json')));
const target = join(nm, 'webgpu');
mkdirSync(join(target, 'dist', 'linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js']) cpSync(join(webgpu, f), join(target, f));
cpSync(join(webgpu, 'dist', 'linux-x64', 'dawn.node'), join(target, 'dist', 'linux-x64', 'dawn.node'));
for (const f of ['bench-gemm.mjs', 'bench_torch_gemm.py']) cpSync(join(here, f), join(stage, f));
mkdirSync(join(root, '.gpu'), { recursive: true });
const out = join(root, '.gpu', 'webgpu.tar.xz');
execFileSync('tar', ['cJf', out, '-C', stage, '.']);
rmSync(stage, { recursive: true, force: true });
console.log(out);

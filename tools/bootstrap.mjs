#!/usr/bin/env node
// The README's two commands, runnable on a fresh machine with only Node 20 and npm:
//   npm start   → node tools/bootstrap.mjs start : install, build, then the main job on the embedded default
//   npm test    → node tools/bootstrap.mjs test  : install, then lint + build + typecheck + every test + conformance,
//                                                  ending with the line `N passed, N failed`
// It installs pnpm 10.34.9 under tmp/pnpm when the machine has none (pnpm 11 crashes on Node 20; corepack's
// signature checks fail against this registry), then runs `pnpm install --frozen-lockfile`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const PNPM_VERSION = '10.34.9';
const task = process.argv[2];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: process.env, ...options });
  return result.status ?? 1;
}

function pnpmVersion() {
  const result = spawnSync('pnpm', ['--version'], { cwd: ROOT, encoding: 'utf8', env: process.env });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function ensurePnpm() {
  const local = join(ROOT, 'tmp', 'pnpm', 'bin');
  if (pnpmVersion() === PNPM_VERSION) return;
  process.env.PATH = `${local}${delimiter}${process.env.PATH}`;
  if (pnpmVersion() === PNPM_VERSION) return;
  console.log(`>>> installing pnpm@${PNPM_VERSION} into tmp/pnpm`);
  if (run('npm', ['install', '--global', '--prefix', join(ROOT, 'tmp', 'pnpm'), `pnpm@${PNPM_VERSION}`]) !== 0) {
    throw new Error('could not install pnpm');
  }
}

function install() {
  ensurePnpm();
  console.log(`>>> pnpm ${pnpmVersion()}, node ${process.version}`);
  if (run('pnpm', ['install', '--frozen-lockfile']) !== 0) throw new Error('pnpm install failed');
}

function clearResults() {
  // Results of an earlier run must not be counted (nx restores cached runs' result files itself).
  for (const group of ['packages', 'backends', 'apps', 'tests']) {
    const dir = join(ROOT, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) rmSync(join(dir, name, '.vitest-results.json'), { force: true });
  }
  for (const name of readdirSync(join(ROOT, 'tests', 'conformance'))) {
    if (name.startsWith('.conformance-') && name.endsWith('.json')) rmSync(join(ROOT, 'tests', 'conformance', name));
  }
}

process.env.NX_DAEMON = 'false';
try {
  if (task === 'start') {
    install();
    if (run('pnpm', ['build']) !== 0) throw new Error('build failed');
    // The main job today: certify the reference backend against its own float64 oracle (f32 runs, every kernel
    // forward and backward, native and composed). It becomes Falcon-H1 generation when the model lands (#3).
    process.exitCode = run('pnpm', ['--silent', 'conformance', '--backend', 'reference', '--dtypes', 'f32', '--quiet']);
  } else if (task === 'test') {
    install();
    clearResults();
    const status = run('pnpm', ['test:all']);
    const summary = run('node', [join('tools', 'ci', 'summarise-tests.mjs')]);
    process.exitCode = status !== 0 || summary !== 0 ? 1 : 0;
  } else {
    console.error('usage: node tools/bootstrap.mjs start|test');
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`>>> ${error.message}`);
  if (task === 'test') run('node', [join('tools', 'ci', 'summarise-tests.mjs')]);
  process.exitCode = 1;
}

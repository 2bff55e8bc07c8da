#!/usr/bin/env node
// The README's two commands, runnable on a fresh machine with only Node 20 and npm:
//   npm start   → node tools/bootstrap.mjs start : install, build, then train a small Falcon-H1 on the embedded corpus
//                                                  (a few minutes on a CPU) and print a sample from its checkpoint
//   npm test    → node tools/bootstrap.mjs test  : install, then lint + build + typecheck + every test + conformance,
//                                                  ending with the line `N passed, N failed`
// It installs pnpm 10.34.9 under tmp/pnpm when the machine has none (pnpm 11 crashes on Node 20; corepack's
// signature checks fail against this registry), then runs `pnpm install --frozen-lockfile`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

/**
 * WebGPU in Node needs a Vulkan driver; on CI (no GPU, Debian 12) that is Mesa 25 lavapipe, fetched into tmp/lavapipe
 * by backends/webgpu/scripts/lavapipe.mjs. Its environment is exported to every test process, and the webgpu backend
 * is then REQUIRED by the conformance suite (FALCON_REQUIRE_BACKENDS): a missing adapter fails the run loudly.
 */
async function provideWebGPU() {
  const script = join(ROOT, 'backends', 'webgpu', 'scripts', 'lavapipe.mjs');
  if (!existsSync(script)) return;
  try {
    const { lavapipeEnv } = await import(pathToFileURL(script).href);
    const { env, note } = lavapipeEnv({ log: (m) => console.log(`>>> ${m}`) });
    Object.assign(process.env, env);
    console.log(`>>> WebGPU: ${note}`);
  } catch (error) {
    console.log(`>>> WebGPU: NO Vulkan driver could be provided (${error.message}); the webgpu conformance will fail`);
  }
  const required = new Set((process.env.FALCON_REQUIRE_BACKENDS ?? '').split(',').filter(Boolean));
  required.add('webgpu');
  process.env.FALCON_REQUIRE_BACKENDS = [...required].join(',');
}

/**
 * The browser tests (the playground page on WebGPU, the wasm conformance in Chromium) drive Debian's Chromium, which a
 * fresh machine does not have: as root with apt-get, install it (Debian's chromium package, ~1–2 minutes), else say
 * so. The binary is the one backends/webgpu/scripts/chromium.mjs launches (CHROMIUM_PATH names another). Without it
 * the page test fails where WebGPU is required (as on CI).
 */
async function provideChromium() {
  const script = join(ROOT, 'backends', 'webgpu', 'scripts', 'chromium.mjs');
  const { CHROMIUM_PATH: path } = await import(pathToFileURL(script).href);
  if (existsSync(path)) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const aptGet = spawnSync('apt-get', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!root || !aptGet) {
    console.log(`>>> Chromium: none at ${path}, and no root apt-get to install it (set CHROMIUM_PATH)`);
    return;
  }
  console.log(">>> Chromium: installing Debian's chromium with apt-get");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], { env });
  // A fresh machine may have no package lists yet: fetch them once and try again.
  if (install() !== 0 && (run('apt-get', ['update', '-q'], { env }) !== 0 || install() !== 0)) {
    console.log('>>> Chromium: apt-get could not install chromium; the browser tests will say so');
  }
}

process.env.NX_DAEMON = 'false';
try {
  if (task === 'start') {
    install();
    if (run('pnpm', ['build']) !== 0) throw new Error('build failed');
    // The main job: `falcon-h1 train --default` trains a small Falcon-H1 (3M parameters) on the corpus and tokenizer
    // embedded in apps/trainer/assets, on the best backend here (wasm on a CPU), for a few minutes: progress bar with
    // the falling loss, metrics.jsonl, loss-curve.svg and a checkpoint in tmp/runs/default, then a sample generated
    // from that checkpoint. Each `npm start` trains afresh. Generation on the golden tiny model stays reachable:
    // `pnpm falcon-h1 generate --model tests/fixtures/tiny-a --prompt-ids 1,17,42,99,5 --max-tokens 16`.
    const out = join('tmp', 'runs', 'default');
    rmSync(join(ROOT, out), { recursive: true, force: true });
    console.log(`>>> falcon-h1 train --default --out ${out}`);
    process.exitCode = run('pnpm', ['--silent', 'falcon-h1', 'train', '--default', '--out', out]);
    if (process.exitCode === 0) {
      console.log(`>>> loss curve: ${join(out, 'loss-curve.svg')}; your own run: pnpm falcon-h1 train --config <file>`);
      console.log('>>> (apps/trainer/README.md documents the config; apps/trainer/examples/ has two)');
    }
  } else if (task === 'test') {
    install();
    clearResults();
    await provideWebGPU();
    await provideChromium();
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

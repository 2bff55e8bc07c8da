#!/usr/bin/env node
// Mesa 25 lavapipe (a CPU Vulkan driver) for WebGPU in Node on Debian 12 machines without a GPU (CI).
//
// Dawn (the `webgpu` npm package) refuses Debian 12's own lavapipe (Mesa 22.3) but runs on Mesa 25's from
// bookworm-backports. This script finds a usable Vulkan driver or provisions one without touching the system:
// it downloads mesa-vulkan-drivers from bookworm-backports (and the few libraries it needs that are missing or
// too old: libdrm2, libdrm-amdgpu1, libvulkan1) with apt-get against a private package list, from the mirror the
// machine's own apt sources name, and unpacks them under <repo>/tmp/lavapipe. The environment it returns
// (VK_ICD_FILENAMES, LD_LIBRARY_PATH) must be in place when the Node process STARTS (the dynamic loader reads
// LD_LIBRARY_PATH once), so callers set it before spawning: tools/bootstrap.mjs (CI), `pnpm conformance`, the
// backend's vitest setup.
//
//   node backends/webgpu/scripts/lavapipe.mjs              provision if needed, say what was found
//   node backends/webgpu/scripts/lavapipe.mjs --env        print `export ...` lines for a shell (eval "$(…)")
//   node backends/webgpu/scripts/lavapipe.mjs --exec CMD…  run CMD with the environment (exit code passed on); only
//                                                          provisions when an argument mentions webgpu
//
// Nothing is done when VK_ICD_FILENAMES/VK_DRIVER_FILES are already set, when the system has Mesa >= 25 Vulkan
// drivers, or when it has another Vulkan driver (a real GPU). FALCON_NO_LAVAPIPE=1 turns provisioning off.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DIR = join(ROOT, 'tmp', 'lavapipe');
const LIB = join(DIR, 'root', 'usr', 'lib', 'x86_64-linux-gnu');
const ICD = join(DIR, 'lvp_icd.json');
const PACKAGES = ['mesa-vulkan-drivers/bookworm-backports'];

function quiet(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Vulkan ICD manifests installed system-wide. */
function systemIcds() {
  const out = [];
  for (const dir of ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.json')) out.push(join(dir, f));
  }
  return out;
}

/** The Debian mirror the machine's apt sources use for bookworm (never hard-coded here). */
function debianMirror() {
  const files = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of readdirSync('/etc/apt/sources.list.d')) files.push(join('/etc/apt/sources.list.d', f));
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    // deb822 stanzas
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uris && suites.includes('bookworm')) return uris;
    }
    // one-line format
    for (const line of text.split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/.exec(line.trim());
      if (m) return m[1];
    }
  }
  return undefined;
}

function provision(log) {
  const mirror = debianMirror();
  if (!mirror) throw new Error('no Debian bookworm source in /etc/apt: cannot fetch Mesa 25 lavapipe');
  rmSync(DIR, { recursive: true, force: true });
  const apt = join(DIR, 'apt');
  mkdirSync(join(apt, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(apt, 'cache', 'archives', 'partial'), { recursive: true });
  writeFileSync(
    join(apt, 'sources.list'),
    `deb ${mirror} bookworm main\ndeb ${mirror} bookworm-updates main\ndeb ${mirror} bookworm-backports main\n`,
  );
  const options = [
    '-o',
    `Dir::Etc::SourceList=${join(apt, 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${join(apt, 'lists')}`,
    '-o',
    `Dir::Cache=${join(apt, 'cache')}`,
    '-o',
    'Debug::NoLocking=1',
    '-qq',
  ];
  log(`lavapipe: fetching Mesa 25 lavapipe from bookworm-backports into ${DIR}`);
  const run = (args) => {
    const r = spawnSync('apt-get', [...options, ...args], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(`apt-get ${args[0]} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  };
  run(['update']);
  // --download-only against the system's dpkg status fetches exactly what is missing or too old.
  run(['install', '-y', '--download-only', '--no-install-recommends', ...PACKAGES]);
  const archives = join(apt, 'cache', 'archives');
  const debs = readdirSync(archives).filter((f) => f.endsWith('.deb'));
  if (!debs.some((f) => f.startsWith('mesa-vulkan-drivers_')))
    throw new Error('apt-get did not fetch mesa-vulkan-drivers');
  for (const deb of debs) execFileSync('dpkg', ['-x', join(archives, deb), join(DIR, 'root')]);
  if (!existsSync(join(LIB, 'libvulkan_lvp.so'))) throw new Error('libvulkan_lvp.so missing after unpacking');
  writeFileSync(
    ICD,
    `${JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: join(LIB, 'libvulkan_lvp.so'), api_version: '1.4.305' } }, null, 2)}\n`,
  );
  rmSync(join(apt, 'cache'), { recursive: true, force: true });
  log(`lavapipe: ready (${debs.map((d) => d.split('_').slice(0, 2).join(' ')).join(', ')})`);
}

/**
 * Finds or provisions a Vulkan driver for Dawn. Returns { env, note }: `env` holds the variables to set in child
 * processes (empty when the system needs none), `note` says what was found; throws when provisioning fails.
 */
export function lavapipeEnv({ log = (m) => console.error(m), allowProvision = true } = {}) {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { env: {}, note: 'not linux-x64: nothing to do' };
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) {
    return { env: {}, note: 'VK_ICD_FILENAMES/VK_DRIVER_FILES already set' };
  }
  const mesa = quiet('dpkg-query', ['-W', `-f=${'$'}{Version}`, 'mesa-vulkan-drivers']);
  if (mesa && Number.parseInt(mesa, 10) >= 25) return { env: {}, note: `system Mesa ${mesa} Vulkan drivers` };
  const others = systemIcds().filter(
    (f) => !/lvp_icd|intel|radeon|nouveau|virtio|freedreno|panfrost|asahi|broadcom|lvp/.test(f),
  );
  if (others.length) return { env: {}, note: `system Vulkan driver ${others.join(', ')}` };
  if (!existsSync(ICD)) {
    if (!allowProvision || process.env.FALCON_NO_LAVAPIPE === '1') {
      return { env: {}, note: 'no usable Vulkan driver and provisioning is off' };
    }
    provision(log);
  }
  const env = {
    VK_ICD_FILENAMES: ICD,
    LD_LIBRARY_PATH: [LIB, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  };
  return { env, note: `Mesa 25 lavapipe from ${DIR}` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  // --exec provisions only for commands about the webgpu backend (so `pnpm conformance --backend reference` never
  // downloads anything).
  const needed = args[0] !== '--exec' || args.some((a) => a.includes('webgpu'));
  let result = { env: {}, note: 'not needed' };
  try {
    if (needed) result = lavapipeEnv();
  } catch (error) {
    console.error(`lavapipe: ${error.message}`);
    process.exit(2);
  }
  if (args[0] === '--env') {
    for (const [k, v] of Object.entries(result.env)) console.log(`export ${k}='${v}'`);
  } else if (args[0] === '--exec') {
    const [command, ...rest] = args.slice(1);
    const r = spawnSync(command, rest, { stdio: 'inherit', env: { ...process.env, ...result.env } });
    process.exit(r.status ?? 1);
  } else {
    console.log(`lavapipe: ${result.note}`);
  }
}

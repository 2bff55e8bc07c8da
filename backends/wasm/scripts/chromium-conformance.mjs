#!/usr/bin/env node
// The conformance suite (every kernel case, forward and backward, native and composed, f32/bf16/f16) on the
// wasm backend inside headless Chromium, through Playwright with Debian's chromium (no browser download).
//
//   pnpm build && node backends/wasm/scripts/chromium-conformance.mjs [--build simd|threads|both] [--filter RE]
//                                                                   [--json FILE] [--summary FILE] [--quiet]
// --summary writes {"backend","passed","failed"} (the shape tools/ci/summarise-tests.mjs sums).
//
// A static server on 127.0.0.1 serves the workspace's built packages with
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, so the page is
// cross-origin isolated and the threads build (SharedArrayBuffer + a pthread pool of Web Workers) can run; the page
// imports the packages' dist/ through an import map. The model goldens (tests/fixtures/*, as in Node) run too: the
// fixture and checkpoint loaders read files with node:fs/promises, which the import map points at a small shim that
// fetches them from this server (node:path and node:url get posix shims).
// Exit code: 0 all passed, 1 some failed, 2 the browser or the backend could not start.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(PACKAGE_ROOT, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const builds = (() => {
  const b = option('--build', 'both');
  return b === 'both' ? ['simd', 'threads'] : [b];
})();
const filter = option('--filter', '');
const jsonOut = option('--json', '');
const summaryOut = option('--summary', '');
const quiet = process.argv.includes('--quiet');

const IMPORTS = {
  '@falcon-h1/core-tensor': '/packages/core-tensor/dist/index.js',
  '@falcon-h1/mamba2': '/packages/mamba2/dist/index.js',
  '@falcon-h1/attention': '/packages/attention/dist/index.js',
  '@falcon-h1/hybrid-block': '/packages/hybrid-block/dist/index.js',
  'node:fs/promises': '/__shims/fs-promises.js',
  'node:path': '/__shims/path.js',
  'node:url': '/__shims/url.js',
  '@falcon-h1/backend-reference': '/backends/reference/dist/index.js',
  '@falcon-h1/backend-reference/base': '/backends/reference/dist/base.js',
  '@falcon-h1/backend-wasm': '/backends/wasm/dist/index.js',
  '@falcon-h1/backend-wasm/base': '/backends/wasm/dist/base.js',
};

/** Browser stand-ins for the few node: functions the fixture and checkpoint loaders call (files come from this server). */
const SHIMS = {
  '/__shims/fs-promises.js': `
const notFound = (path) => Object.assign(new Error('ENOENT: no such file ' + path), { code: 'ENOENT' });
export async function readFile(path, encoding) {
  const response = await fetch(String(path));
  if (!response.ok) throw notFound(path);
  return encoding ? await response.text() : new Uint8Array(await response.arrayBuffer());
}
export async function stat(path) {
  const response = await fetch(String(path), { method: 'HEAD' });
  if (!response.ok) throw notFound(path);
  const size = Number(response.headers.get('content-length') ?? 0);
  return { size, isFile: () => true, isDirectory: () => false };
}
/** A file handle over the whole file fetched once (the fixtures are small): what openSafetensorsFile reads through. */
export async function open(path) {
  const bytes = await readFile(path);
  return {
    stat: async () => ({ size: bytes.length, isFile: () => true, isDirectory: () => false }),
    read: async (buffer, offset, length, position) => {
      const part = bytes.subarray(position, Math.min(position + length, bytes.length));
      buffer.set(part, offset);
      return { bytesRead: part.length, buffer };
    },
    close: async () => {},
  };
}
export default { readFile, stat, open };`,
  '/__shims/path.js': `
export const sep = '/';
export function normalize(p) {
  const absolute = p.startsWith('/');
  const out = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') out.pop(); else out.push(part);
  }
  return (absolute ? '/' : '') + out.join('/');
}
export function join(...parts) { return normalize(parts.filter(Boolean).join('/')); }
export function resolve(...parts) { const p = join(...parts); return p.startsWith('/') ? p : '/' + p; }
export function basename(p) { const parts = normalize(p).split('/'); return parts[parts.length - 1] ?? ''; }
export function dirname(p) { const parts = normalize(p).split('/'); parts.pop(); return parts.join('/') || '/'; }
export default { sep, normalize, join, resolve, basename, dirname };`,
  '/__shims/url.js': `
export function fileURLToPath(url) { return new URL(String(url)).pathname; }
export function pathToFileURL(path) { return new URL(path, location.origin); }
export default { fileURLToPath, pathToFileURL };`,
};

/** The repository's golden fixtures (as tests/conformance/src/goldens/fixture-dirs.ts finds them), as URL paths. */
function fixtureDirs() {
  const root = join(ROOT, 'tests', 'fixtures');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'golden.safetensors')))
    .map((e) => `/tests/fixtures/${e.name}`)
    .sort();
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>falcon-h1 wasm conformance</title>
<script type="importmap">${JSON.stringify({ imports: IMPORTS })}</script>
<script type="module">
import { createReferenceBackend } from '@falcon-h1/backend-reference/base';
import { createWasmBackend } from '@falcon-h1/backend-wasm/base';
import { runSuite } from '/tests/conformance/dist/suite.js';
import { checkFixture } from '/tests/conformance/dist/goldens/check-fixture.js';
const params = new URLSearchParams(location.search);
window.__run = async () => {
  const backend = await createWasmBackend({ build: params.get('build'), threads: 2 });
  const reference = createReferenceBackend();
  const filter = params.get('filter') ? new RegExp(params.get('filter')) : undefined;
  const onResult = (r) => console.log('RESULT ' + JSON.stringify(r));
  const report = await runSuite({ backend, reference, filter, onResult });
  // The model goldens (f32), as tests/conformance/test/goldens.test.ts runs them in Node.
  for (const dir of JSON.parse(params.get('fixtures') || '[]')) {
    if (filter && !filter.test(dir)) continue;
    for (const r of await checkFixture(dir, { backend, dtype: 'f32', onResult })) {
      report.results.push(r);
      if (r.pass) report.passed++; else report.failed++;
    }
  }
  const summary = { device: backend.device, build: backend.build, threads: backend.threads, crossOriginIsolated: self.crossOriginIsolated,
    userAgent: navigator.userAgent, passed: report.passed, failed: report.failed, skipped: report.skipped, results: report.results };
  backend.dispose();
  return summary;
};
window.__ready = true;
</script>`;

const TYPES = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
};

function serve() {
  const server = createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    if (SHIMS[url.pathname]) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
      res.end(SHIMS[url.pathname]);
      return;
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      res.end(PAGE);
      return;
    }
    const path = normalize(join(ROOT, decodeURIComponent(url.pathname)));
    if (!path.startsWith(ROOT + sep) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404, headers);
      res.end('not found');
      return;
    }
    const body = readFileSync(path);
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function main() {
  for (const [name, file] of Object.entries(IMPORTS)) {
    if (!SHIMS[file] && !existsSync(join(ROOT, file))) {
      console.error(`chromium-conformance: ${name} is not built (${file} missing): run pnpm build`);
      return 2;
    }
  }
  if (!existsSync(CHROMIUM)) {
    console.error(
      `chromium-conformance: no Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`,
    );
    return 2;
  }
  const require = createRequire(join(PACKAGE_ROOT, 'package.json'));
  const { chromium } = require('playwright-core');
  const server = await serve();
  const port = server.address().port;
  const profile = mkdtempSync(join(tmpdir(), 'falcon-h1-chromium-'));
  const summaries = [];
  let failed = 0;
  let browser;
  try {
    // A fresh profile each run (Playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    for (const build of builds) {
      const page = await browser.newPage();
      page.on('console', (message) => {
        const text = message.text();
        if (!text.startsWith('RESULT ')) {
          if (message.type() === 'error' || message.type() === 'warning')
            console.log(`[chromium ${message.type()}] ${text}`);
          return;
        }
        const r = JSON.parse(text.slice(7));
        if (!quiet || !r.pass) {
          console.log(
            `${r.pass ? 'PASS' : 'FAIL'}  ${r.name.padEnd(86)} ${typeof r.relL2 === 'number' ? r.relL2.toExponential(2) : String(r.relL2)}${r.error ? `  ${r.error}` : ''}`,
          );
        }
      });
      page.on('pageerror', (error) => console.log(`[chromium pageerror] ${error.message}`));
      const started = Date.now();
      const fixtures = encodeURIComponent(JSON.stringify(fixtureDirs()));
      await page.goto(
        `http://127.0.0.1:${port}/?build=${build}&filter=${encodeURIComponent(filter)}&fixtures=${fixtures}`,
      );
      await page.waitForFunction(() => window.__ready === true);
      const summary = await page.evaluate(() => window.__run());
      await page.close();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const byDtype = {};
      for (const r of summary.results) {
        const key = `${r.dtype}${r.mode === 'composition' ? ' [composition]' : ''}`;
        byDtype[key] = Math.max(byDtype[key] ?? 0, r.relL2);
      }
      console.log(
        `\nchromium ${summary.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? ''} — ${summary.device}, crossOriginIsolated=${summary.crossOriginIsolated}`,
      );
      console.log(
        `max relL2: ${Object.entries(byDtype)
          .map(([k, v]) => `${k} ${v.toExponential(2)}`)
          .join(', ')}`,
      );
      for (const s of summary.skipped) console.log(`SKIP  ${s.name}: ${s.reason}`);
      console.log(`${summary.passed} passed, ${summary.failed} failed (wasm ${build} build in Chromium, ${seconds} s)`);
      if (summary.build !== build) {
        console.log(`chromium-conformance: asked for the ${build} build but the page ran ${summary.build}`);
        failed++;
      }
      failed += summary.failed;
      if (summary.results.length === 0) failed++;
      summaries.push({ ...summary, results: quiet ? undefined : summary.results });
    }
  } finally {
    await browser?.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(summaries, null, 2)}\n`);
  if (summaryOut) {
    const passed = summaries.reduce((n, s) => n + s.passed, 0);
    const total = summaries.reduce((n, s) => n + s.failed, 0);
    writeFileSync(
      summaryOut,
      `${JSON.stringify({ backend: `wasm (headless Chromium: ${builds.join(' + ')} builds)`, passed, failed: total + (failed > total ? failed - total : 0) })}\n`,
    );
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`chromium-conformance: ${error.stack ?? error.message}`);
    process.exitCode = 2;
  },
);

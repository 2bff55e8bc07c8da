#!/usr/bin/env node
// The conformance suite in headless Chromium on WebGPU: bundles test/browser/entry.ts with esbuild, serves it on
// 127.0.0.1 (WebGPU needs a secure context), drives /usr/bin/chromium through playwright-core with WebGPU on
// Chromium's SwiftShader Vulkan adapter, and writes the JSON report. Exit code: 0 all passed, 1 failures, 2 no
// browser or no adapter.
//   node test/browser/run-chromium.mjs [--json FILE] [--filter REGEX] [--dtypes f32] [--chromium PATH]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleForBrowser } from '../../scripts/browser-bundle.mjs';
import { CHROMIUM_PATH, launchWebGPUChromium } from '../../scripts/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    filter: { type: 'string' },
    dtypes: { type: 'string' },
    chromium: { type: 'string', default: CHROMIUM_PATH },
  },
});
if (!existsSync(values.chromium)) {
  console.error(`run-chromium: no Chromium at ${values.chromium} (apt-get install -y chromium)`);
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), 'falcon-webgpu-browser-'));
await bundleForBrowser(join(here, 'entry.ts'), join(out, 'bundle.js'));
const page = `<!doctype html><meta charset="utf-8"><title>falcon-h1 webgpu conformance</title><script type="module" src="bundle.js"></script>`;
const server = createServer((req, res) => {
  if (req.url === '/bundle.js') {
    res.setHeader('content-type', 'text/javascript');
    res.end(readFileSync(join(out, 'bundle.js')));
  } else {
    res.setHeader('content-type', 'text/html');
    res.end(page);
  }
}).listen(0, '127.0.0.1');
await new Promise((ok) => server.on('listening', ok));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await launchWebGPUChromium(values.chromium);
const { context } = browser;
let code = 1;
try {
  const tab = await context.newPage();
  tab.on('console', (m) => console.log(m.text()));
  tab.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await tab.goto(url);
  await tab.waitForFunction(() => 'falconConformance' in globalThis, undefined, { timeout: 60_000 });
  const options = { dtypes: values.dtypes?.split(','), filter: values.filter };
  let json;
  try {
    json = await tab.evaluate((o) => globalThis.falconConformance(o), options);
  } catch (error) {
    console.error(`\n*** webgpu in Chromium UNAVAILABLE or broken: ${error.message}\n`);
    code = 2;
  }
  if (json) {
    const report = JSON.parse(json);
    report.environment = `headless ${(await context.browser()?.version?.()) ?? 'Chromium'} (${values.chromium}), SwiftShader WebGPU adapter`;
    if (values.json) {
      mkdirSync(dirname(resolve(values.json)), { recursive: true });
      writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    }
    console.log(`\n${report.passed} passed, ${report.failed} failed (webgpu in Chromium: ${report.device})`);
    code = report.failed === 0 && report.results.length > 0 ? 0 : 1;
  }
} finally {
  await browser.close();
  server.close();
  rmSync(out, { recursive: true, force: true });
}
process.exit(code);

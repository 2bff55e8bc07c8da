#!/usr/bin/env node
/**
 * `pnpm --filter @falcon-h1/playground start` (or `dev`): bundles the page into dist/www, serves it with the
 * repository's tiny-a and tiny-b fixtures, and prints the URL to open in a browser with WebGPU.
 *   node dist/server/serve-cli.js [--port 5173] [--host 127.0.0.1] [--model NAME=DIR]…
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundlePage, PACKAGE_DIR } from './bundle-page.js';
import { fixtureModels, startStaticServer } from './static-server.js';

const { values } = parseArgs({
  // `pnpm start -- --port N` passes the '--' through.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    port: { type: 'string', default: '5173' },
    host: { type: 'string', default: '127.0.0.1' },
    model: { type: 'string', multiple: true, default: [] },
  },
});
const models = fixtureModels(join(PACKAGE_DIR, '..', '..'));
for (const spec of values.model) {
  const at = spec.indexOf('=');
  if (at <= 0) throw new Error(`--model takes NAME=DIR, got '${spec}'`);
  models[spec.slice(0, at)] = spec.slice(at + 1);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: '${values.port}' is not a port`);

const wwwDir = join(PACKAGE_DIR, 'dist', 'www');
await bundlePage(wwwDir);
const server = await startStaticServer({ wwwDir, models, port, host: values.host });
console.log(`falcon-h1 playground: ${server.url}`);
for (const name of Object.keys(models)) console.log(`  model '${name}': ${server.url}?model=models/${name}/`);
console.log('(Chromium/Chrome with WebGPU; Ctrl-C stops the server)');

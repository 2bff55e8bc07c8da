/**
 * Runs a test scenario on an in-process world of worker threads. Workers cannot load TypeScript, so the worker
 * entry (and through it the TypeScript sources of every workspace package, by the `@falcon-h1/source` condition)
 * is bundled once per test file with esbuild into one ES module in a temporary directory. No build of the
 * workspace is needed first, and the workers run exactly the sources under test.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchThreadWorld } from '../../src/threads.js';
import type { ScenarioInput, ScenarioName } from './scenarios.js';

/** Bundles a TypeScript entry (and the workspace sources it imports) into one ES module Node runs as is. */
export async function bundleForNode(entry: URL, name: string): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'falcon-h1-parallelism-')), name);
  await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['@falcon-h1/source'],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

let bundled: Promise<string> | undefined;

function bundle(): Promise<string> {
  bundled ??= bundleForNode(new URL('./worker-entry.ts', import.meta.url), 'worker-entry.mjs');
  return bundled;
}

/** Every rank's result of `scenario` on a world of `worldSize` threads. */
export async function runScenario<R>(worldSize: number, scenario: ScenarioName, input: ScenarioInput): Promise<R[]> {
  return launchThreadWorld<R>({ worldSize, entry: await bundle(), input: { scenario, ...input } });
}

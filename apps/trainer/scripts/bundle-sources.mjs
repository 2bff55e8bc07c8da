/**
 * Bundles a TypeScript entry of this package with the workspace packages' sources (the `@falcon-h1/source`
 * condition) into one ES module, so plain Node runs it with no build first: the data-parallel tests' worker entry
 * (test/world/bundle-world.ts) and the benchmarks (bench/run-bench.mjs).
 */
import { build } from 'esbuild';

/** Bundles `entry` (a path) into the ES module `outfile`. */
export async function bundleSources(entry, outfile) {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['@falcon-h1/source'],
    outfile,
    logLevel: 'error',
    // Some dependencies (CommonJS inside) call require(); give the ES module one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
}

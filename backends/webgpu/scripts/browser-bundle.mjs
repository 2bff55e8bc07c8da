// esbuild for pages that run falcon-h1 on WebGPU: the backend's browser conformance bundle
// (test/browser/run-chromium.mjs) and the playground's page (apps/playground/src/server/bundle-page.ts).
// Types: browser-bundle.d.mts.
import { build } from 'esbuild';

/**
 * Bundles a browser entry (TypeScript) with esbuild into `outfile`: ESM, workspace packages from their sources
 * (the `@falcon-h1/source` condition). Node-only paths (checkpoints from disk, Dawn) sit behind dynamic `node:*`
 * imports a page never reaches, so those stay external.
 */
export async function bundleForBrowser(entry, outfile, extra = {}) {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@falcon-h1/source'],
    external: ['node:*'],
    outfile,
    logLevel: 'warning',
    ...extra,
  });
}

/**
 * Builds the page into a folder: static/index.html and app.js, esbuild's bundle of src/page/main.ts with the
 * workspace packages taken from their TypeScript sources (the `@falcon-h1/source` condition), so the page is
 * current without building the dependency graph first. The esbuild settings are the webgpu backend's for its own
 * browser conformance page (one place says how a WebGPU page is bundled).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForBrowser } from '../../../../backends/webgpu/scripts/browser-bundle.mjs';

/** The package's root folder (this file lives in src/server or dist/server). */
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

export async function bundlePage(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await bundleForBrowser(join(PACKAGE_DIR, 'src', 'page', 'main.ts'), join(outDir, 'app.js'), { sourcemap: true });
  copyFileSync(join(PACKAGE_DIR, 'static', 'index.html'), join(outDir, 'index.html'));
}

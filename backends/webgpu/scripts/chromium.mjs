// Headless Chromium with WebGPU but without a GPU: Debian's /usr/bin/chromium (or CHROMIUM_PATH) driven by
// playwright-core, WebGPU on Chromium's own SwiftShader Vulkan adapter (a CPU implementation). Used by the
// backend's browser conformance run (test/browser/run-chromium.mjs) and the playground's page test
// (apps/playground/test/page.test.ts). Types: chromium.d.mts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The flags that give headless Chromium a WebGPU adapter on a machine without a GPU. */
export const WEBGPU_CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
  '--enable-unsafe-swiftshader',
];

/**
 * Starts Chromium in a throw-away profile; returns { context, close }. Throws saying why when Chromium is not
 * installed or does not start.
 */
export async function launchWebGPUChromium(executablePath = CHROMIUM_PATH) {
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'falcon-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: WEBGPU_CHROMIUM_FLAGS,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

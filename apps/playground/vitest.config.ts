import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the "@falcon-h1/source" export condition),
// so `vitest run` works without building the dependency graph first. The global setup provides a Vulkan driver
// for Dawn in Node (Mesa 25 lavapipe where the machine has none). The page test bundles the page, starts Chromium
// and runs a model on SwiftShader's CPU WebGPU: a generous timeout.
export default defineConfig({
  resolve: { conditions: ['@falcon-h1/source'] },
  ssr: { resolve: { conditions: ['@falcon-h1/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});

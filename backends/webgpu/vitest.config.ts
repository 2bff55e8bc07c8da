import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the "@falcon-h1/source" export condition),
// so `vitest run` works without building the dependency graph first. The global setup provides a Vulkan driver
// (Mesa 25 lavapipe where the machine has none) to the test processes, which start after it.
export default defineConfig({
  resolve: { conditions: ['@falcon-h1/source'] },
  ssr: { resolve: { conditions: ['@falcon-h1/source'] } },
  test: { include: ['test/**/*.test.ts'], globalSetup: ['test/global-setup.ts'], testTimeout: 120_000 },
});

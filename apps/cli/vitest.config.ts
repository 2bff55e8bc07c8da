import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the "@falcon-h1/source" export condition),
// so `vitest run` works without building the dependency graph first.
export default defineConfig({
  resolve: { conditions: ['@falcon-h1/source'] },
  ssr: { resolve: { conditions: ['@falcon-h1/source'] } },
  // Commands start backends and models; CI runs projects in parallel on 2 cores: a generous hang guard.
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});

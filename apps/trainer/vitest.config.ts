import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the "@falcon-h1/source" export condition),
// so `vitest run` works without building the dependency graph first.
export default defineConfig({
  resolve: { conditions: ['@falcon-h1/source'] },
  ssr: { resolve: { conditions: ['@falcon-h1/source'] } },
  test: { include: ['test/**/*.test.ts'] },
});

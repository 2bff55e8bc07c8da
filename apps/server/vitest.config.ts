import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the "@falcon-h1/source" export condition),
// so `vitest run` works without building the dependency graph first. The server tests run real servers and
// models: generous timeouts keep a loaded CI machine from failing them (no test asserts on time).
export default defineConfig({
  resolve: { conditions: ['@falcon-h1/source'] },
  ssr: { resolve: { conditions: ['@falcon-h1/source'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});

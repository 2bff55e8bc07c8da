import { defineConfig } from 'vitest/config';

// Tests resolve workspace packages to their TypeScript sources (the "@falcon-h1/source" export condition),
// so `vitest run` works without building the dependency graph first.
export default defineConfig({
  resolve: { conditions: ['@falcon-h1/source'] },
  ssr: { resolve: { conditions: ['@falcon-h1/source'] } },
  // These tests tokenize the corpus sample with six real tokenizers and the Rust oracle; under CI's load (two cores
  // shared with nx's parallel targets) one file can take several seconds, past vitest's 5 s default.
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});

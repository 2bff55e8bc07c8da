/**
 * The falcon-h1 backends on this machine, for the vitest files that run on every backend: each one is started once
 * per file, and one that cannot start is announced loudly and skipped — or fails, when FALCON_REQUIRE_BACKENDS
 * names it (CI requires webgpu, on lavapipe).
 */
import type { Backend } from '@falcon-h1/core-tensor';
import { describe, it } from 'vitest';
import { importBackendModule, packageForBackend, startBackend } from '../src/load-backend.js';

export const KNOWN_BACKENDS = ['reference', 'wasm', 'webgpu', 'cuda'] as const;

const required = new Set((process.env.FALCON_REQUIRE_BACKENDS ?? '').split(',').filter(Boolean));

/** Starts each known backend; returns those that started, and registers the announcement for those that did not. */
export async function backendsHere(what: string): Promise<Array<{ name: string; backend: Backend }>> {
  const started: Array<{ name: string; backend: Backend }> = [];
  for (const name of KNOWN_BACKENDS) {
    try {
      started.push({ name, backend: await startBackend(await importBackendModule(packageForBackend(name))) });
    } catch (error) {
      const reason = (error as Error).message;
      console.warn(`\n*** ${what}: backend '${name}' UNAVAILABLE on this machine: ${reason}\n`);
      if (required.has(name)) {
        it(`${what}: backend ${name} is required (FALCON_REQUIRE_BACKENDS) but unavailable`, () => {
          throw new Error(reason);
        });
      } else {
        describe.skip(`${what} ${name}: UNAVAILABLE (${reason})`, () => {
          it('unavailable', () => {});
        });
      }
    }
  }
  return started;
}

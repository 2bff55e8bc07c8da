/**
 * The Falcon-H1 golden fixtures (tests/fixtures/*) on every falcon-h1 backend that starts here: logits, every
 * hidden state, the loss and greedy generation against transformers, and packed rows against each document alone
 * (f32). An unavailable backend is announced and skipped, or fails under FALCON_REQUIRE_BACKENDS, as in suite.test.ts.
 */
import type { Backend } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { checkFixture } from '../src/goldens/check-fixture.js';
import { repositoryFixtureDirs } from '../src/goldens/fixture-dirs.js';
import { importBackendModule, packageForBackend, startBackend } from '../src/load-backend.js';
import { formatResultLine } from '../src/report.js';

const KNOWN_BACKENDS = ['reference', 'wasm', 'webgpu', 'cuda'];
const required = new Set((process.env.FALCON_REQUIRE_BACKENDS ?? '').split(',').filter(Boolean));
const fixtures = repositoryFixtureDirs();

describe('golden fixtures', () => {
  it("finds the repository's fixture folders", () => {
    expect(fixtures.map((dir) => dir.split(/[\\/]/).pop())).toEqual(
      expect.arrayContaining(['tiny-a', 'tiny-a-packed', 'tiny-b', 'tiny-b-packed']),
    );
  });
});

for (const name of KNOWN_BACKENDS) {
  let backend: Backend | string;
  try {
    backend = await startBackend(await importBackendModule(packageForBackend(name)));
  } catch (error) {
    backend = (error as Error).message;
  }
  if (typeof backend === 'string') {
    const reason = backend;
    console.warn(`\n*** goldens: backend '${name}' UNAVAILABLE on this machine: ${reason}\n`);
    if (required.has(name)) {
      it(`backend ${name} is required (FALCON_REQUIRE_BACKENDS) but unavailable`, () => {
        throw new Error(reason);
      });
    } else {
      describe.skip(`goldens ${name}: UNAVAILABLE (${reason})`, () => {
        it('unavailable', () => {});
      });
    }
    continue;
  }
  const started = backend;
  describe(`goldens ${name} (${started.device})`, () => {
    for (const dir of fixtures) {
      it(`${dir.split(/[\\/]/).pop()} f32`, { timeout: 120_000 }, async () => {
        const results = await checkFixture(dir, { backend: started, dtype: 'f32' });
        expect(results.length).toBeGreaterThan(0);
        expect(results.filter((r) => !r.pass).map(formatResultLine)).toEqual([]);
      });
    }
  });
}

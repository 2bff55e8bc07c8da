/**
 * The Falcon-H1 golden fixtures (tests/fixtures/*) on every falcon-h1 backend that starts here: logits, every
 * hidden state, the loss and greedy generation against transformers, and packed rows against each document alone
 * (f32). An unavailable backend is announced and skipped, or fails under FALCON_REQUIRE_BACKENDS, as in suite.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkFixture } from '../src/goldens/check-fixture.js';
import { repositoryFixtureDirs } from '../src/goldens/fixture-dirs.js';
import { formatResultLine } from '../src/report.js';
import { backendsHere } from './backends-here.js';

const fixtures = repositoryFixtureDirs();

describe('golden fixtures', () => {
  it("finds the repository's fixture folders", () => {
    expect(fixtures.map((dir) => dir.split(/[\\/]/).pop())).toEqual(
      expect.arrayContaining(['tiny-a', 'tiny-a-packed', 'tiny-b', 'tiny-b-packed']),
    );
  });
});

for (const { name, backend: started } of await backendsHere('goldens')) {
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

/**
 * The conformance suite inside vitest: one test per case × dtype × mode, for every falcon-h1 backend that starts
 * on this machine. A backend that cannot start is reported loudly (a warning and a skipped block whose title
 * carries the reason); set FALCON_REQUIRE_BACKENDS=webgpu,cuda to make that a failure instead.
 */

import type { Backend } from '@falcon-h1/core-tensor';
import { useBackend } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { caseName } from '../src/case.js';
import { importBackendModule, packageForBackend, startBackend } from '../src/load-backend.js';
import { formatResultLine } from '../src/report.js';
import { runCase } from '../src/run-case.js';
import { planSuite } from '../src/suite.js';
import { backendsHere } from './backends-here.js';

const reference = await startBackend(await importBackendModule(packageForBackend('reference')));

const use = async (b: Backend): Promise<void> => {
  await b.synchronize?.();
  useBackend(b);
};

for (const { name, backend } of await backendsHere('conformance')) {
  const { runs } = planSuite({ backend });
  describe(`conformance ${name} (${backend.device})`, () => {
    for (const { c, dtype, mode } of runs) {
      it(`${caseName(c)} ${dtype}${mode === 'composition' ? ' [composition]' : ''}`, { timeout: 120_000 }, async () => {
        const results = await runCase(c, { target: backend, reference, dtype, mode, use });
        const failed = results.filter((r) => !r.pass);
        expect(failed.map(formatResultLine)).toEqual([]);
      });
    }
  });
}

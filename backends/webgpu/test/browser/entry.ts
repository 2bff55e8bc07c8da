/**
 * The conformance suite in a browser page: the webgpu backend on navigator.gpu, checked against the reference
 * backend, with the same runner as the CLI (tests/conformance/src/suite.ts). Bundled by esbuild
 * (test/browser/run-chromium.mjs) and driven through window.falconConformance.
 */

import { formatResultLine, supportMatrix, toJson } from '../../../../tests/conformance/src/report.js';
import type { FloatDType } from '../../../../tests/conformance/src/run-case.js';
import { runSuite } from '../../../../tests/conformance/src/suite.js';
import { createReferenceBackend } from '../../../reference/src/base.js';
import { createWebGPUBackend } from '../../src/base.js';

interface RunOptions {
  dtypes?: FloatDType[];
  filter?: string;
}

async function run(options: RunOptions): Promise<string> {
  const backend = await createWebGPUBackend();
  const reference = createReferenceBackend();
  console.log(`conformance: backend 'webgpu' on ${backend.device} (${navigator.userAgent})`);
  const report = await runSuite({
    backend,
    reference,
    dtypes: options.dtypes,
    filter: options.filter ? new RegExp(options.filter) : undefined,
    onResult: (r) => {
      if (!r.pass) console.log(formatResultLine(r));
    },
  });
  console.log(supportMatrix(backend, report.results));
  backend.dispose();
  return toJson(report);
}

(globalThis as { falconConformance?: typeof run }).falconConformance = run;

/**
 * `falcon-h1-conformance` / `pnpm conformance`: certifies a backend against the float64 reference.
 *
 *   conformance --backend <name> [--backend-module <package-or-path>] [--json FILE] [--filter REGEX]
 *               [--dtypes f32,bf16] [--modes native,composition] [--fixture DIR]... [--list] [--quiet]
 *
 * Without --fixture it runs the kernel suite, then (when no --filter narrows it and the repository's
 * tests/fixtures is there) the Falcon-H1 golden fixtures. With --fixture it checks only the model against each
 * fixture folder named (goldens/check-fixture.ts), in each --dtypes dtype (default f32).
 *
 * Runs from built JavaScript with plain `node` and the backend packages alone (no dev dependencies).
 * Exit code: 0 all passed, 1 some failed, 2 the backend could not start or the arguments are wrong.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Backend } from '@falcon-h1/core-tensor';
import { caseName } from './case.js';
import { checkFixture } from './goldens/check-fixture.js';
import { repositoryFixtureDirs } from './goldens/fixture-dirs.js';
import { BackendUnavailableError, importBackendModule, packageForBackend, startBackend } from './load-backend.js';
import { formatResultLine, supportMatrix, toJson } from './report.js';
import type { CaseResult, FloatDType, RunMode } from './run-case.js';
import { ALL_CASES, runSuite } from './suite.js';

const USAGE = `usage: conformance --backend <name> [--backend-module <package-or-path>] [--json FILE]
                   [--filter REGEX] [--dtypes f32,bf16,f16] [--modes native,composition] [--fixture DIR]...
                   [--list] [--quiet]`;

/** Runs the conformance CLI with `argv` (without node and script) and resolves to its exit code. */
export async function runConformanceCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string' },
      'backend-module': { type: 'string' },
      json: { type: 'string' },
      filter: { type: 'string' },
      dtypes: { type: 'string' },
      modes: { type: 'string' },
      fixture: { type: 'string', multiple: true },
      list: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const c of ALL_CASES) console.log(caseName(c));
    return 0;
  }
  if (!values.backend && !values['backend-module']) {
    console.error(`conformance: name a backend\n${USAGE}`);
    return 2;
  }
  const dtypes = values.dtypes?.split(',').map((d) => d.trim()) as FloatDType[] | undefined;
  for (const d of dtypes ?? []) {
    if (!['f64', 'f32', 'f16', 'bf16'].includes(d)) {
      console.error(`conformance: unknown dtype '${d}' (use f32, bf16, f16, f64)`);
      return 2;
    }
  }
  const modes = values.modes?.split(',').map((m) => m.trim()) as RunMode[] | undefined;
  for (const m of modes ?? []) {
    if (m !== 'native' && m !== 'composition') {
      console.error(`conformance: unknown mode '${m}' (use native, composition)`);
      return 2;
    }
  }
  let filter: RegExp | undefined;
  try {
    filter = values.filter ? new RegExp(values.filter) : undefined;
  } catch (error) {
    console.error(`conformance: bad --filter: ${(error as Error).message}`);
    return 2;
  }

  const referenceModule = await importBackendModule('@falcon-h1/backend-reference');
  let backend: Backend;
  let reference: Backend;
  try {
    const targetModule = await importBackendModule(values['backend-module'] ?? packageForBackend(values.backend!));
    if (values.backend && targetModule.backendName !== values.backend) {
      console.error(`conformance: note: module registers as '${targetModule.backendName}', not '${values.backend}'`);
    }
    reference = await startBackend(referenceModule);
    backend = targetModule.backendName === 'reference' ? reference : await startBackend(targetModule);
  } catch (error) {
    if (error instanceof BackendUnavailableError) {
      console.error(`\n*** BACKEND UNAVAILABLE ***\n${error.message}\n`);
      if (values.json) {
        await writeFile(
          values.json,
          `${JSON.stringify({ backend: values.backend ?? values['backend-module'], device: 'unavailable', available: false, reason: error.message, passed: 0, failed: 0, results: [] }, null, 2)}\n`,
        );
      }
      return 2;
    }
    throw error;
  }

  console.log(`conformance: backend '${backend.name}' on ${backend.device}; reference: ${reference.device}`);
  const started = performance.now();
  const onResult = (r: CaseResult): void => {
    if (!values.quiet || !r.pass) console.log(formatResultLine(r));
  };
  const fixtures = values.fixture ?? [];
  const report =
    fixtures.length > 0
      ? { backend: backend.name, device: backend.device, passed: 0, failed: 0, skipped: [], results: [] }
      : await runSuite({ backend, reference, dtypes, modes, filter, onResult });
  if (fixtures.length === 0) {
    console.log(`\n${supportMatrix(backend, report.results)}\n`);
    for (const s of report.skipped) console.log(`SKIP  ${s.name}: ${s.reason}`);
  }
  // The model against golden fixtures: the folders named, or by default the repository's own (unless --filter).
  const fixtureDirs = fixtures.length > 0 ? fixtures : filter ? [] : repositoryFixtureDirs();
  for (const dir of fixtureDirs) {
    for (const dtype of fixtures.length > 0 ? (dtypes ?? ['f32']) : ['f32' as const]) {
      for (const r of await checkFixture(dir, { backend, dtype, onResult })) {
        report.results.push(r);
        if (r.pass) report.passed++;
        else report.failed++;
      }
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${report.passed} passed, ${report.failed} failed (backend ${report.backend}, ${seconds} s)`);
  if (values.json) await writeFile(values.json, toJson(report));
  backend.dispose?.();
  if (reference !== backend) reference.dispose?.();
  return report.failed === 0 && report.results.length > 0 ? 0 : 1;
}

/**
 * Printing results: a per-run table (kernel case × dtype × direction × path × pass/fail × errors × time), a
 * per-kernel summary with native/composition support (like llama.cpp's test-backend-ops support matrix), and the
 * JSON report.
 */
import { type Backend, FUSED_KERNELS, PRIMITIVE_KERNELS } from '@falcon-h1/core-tensor';
import type { CaseResult } from './run-case.js';
import type { SuiteReport } from './suite.js';

const fmt = (x: number): string => (Number.isFinite(x) ? (x === 0 ? '0' : x.toExponential(2)) : String(x));

export function formatResultLine(r: CaseResult): string {
  const status = r.pass ? 'PASS' : 'FAIL';
  const ms = r.direction === 'forward' ? `${r.ms.toFixed(1)} ms` : '';
  return `${status}  ${r.name.padEnd(92)} ${r.path.padEnd(11)} relL2 ${fmt(r.relL2).padStart(9)}  max ${fmt(r.maxRelError).padStart(9)}  ${ms}${r.error ? `\n      ${r.error}` : ''}`;
}

/** One row per kernel of the contract: tier, native or not, and pass/fail counts of its cases. */
export function supportMatrix(backend: Backend, results: readonly CaseResult[]): string {
  const rows: string[] = [];
  rows.push(
    `${'kernel'.padEnd(20)} ${'tier'.padEnd(9)} ${'native'.padEnd(7)} ${'passed'.padStart(7)} ${'failed'.padStart(7)}  max relL2`,
  );
  const all = [
    ...PRIMITIVE_KERNELS.map((k) => [k, 'primitive'] as const),
    ...FUSED_KERNELS.map((k) => [k, 'fused'] as const),
  ];
  for (const [kernel, tier] of all) {
    const native = backend.kernels[kernel] ? 'yes' : 'no';
    const mine = results.filter(
      (r) =>
        r.kernel === kernel ||
        (kernel.endsWith('Grad') && r.kernel === kernel.slice(0, -4) && r.direction === 'backward'),
    );
    const passed = mine.filter((r) => r.pass).length;
    const failed = mine.length - passed;
    const worst = mine.reduce((m, r) => Math.max(m, r.relL2), 0);
    rows.push(
      `${kernel.padEnd(20)} ${tier.padEnd(9)} ${native.padEnd(7)} ${String(passed).padStart(7)} ${String(failed).padStart(7)}  ${mine.length ? fmt(worst) : '-'}`,
    );
  }
  return rows.join('\n');
}

/** The JSON document the CLI writes with --json. */
export function toJson(report: SuiteReport): string {
  return `${JSON.stringify(
    {
      backend: report.backend,
      device: report.device,
      passed: report.passed,
      failed: report.failed,
      skipped: report.skipped,
      results: report.results.map((r) => ({
        name: r.name,
        kernel: r.kernel,
        dtype: r.dtype,
        direction: r.direction,
        mode: r.mode,
        path: r.path,
        pass: r.pass,
        maxRelError: Number.isFinite(r.maxRelError) ? r.maxRelError : null,
        relL2: Number.isFinite(r.relL2) ? r.relL2 : null,
        tolerance: r.tolerance,
        ms: Math.round(r.ms * 1000) / 1000,
        ...(r.error ? { error: r.error } : {}),
      })),
    },
    null,
    2,
  )}\n`;
}

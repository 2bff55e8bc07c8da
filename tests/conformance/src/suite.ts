/**
 * The conformance suite: every case × dtype × mode on one backend, compared with the float64 reference backend.
 * Modes: 'native' (the backend's own fused kernels where it has them) and, for fused kernels the backend has,
 * 'composition' (core's composition forced), so that both paths are certified on every backend.
 */
import { type Backend, FUSED_KERNELS, type FusedKernelName, useBackend } from '@falcon-h1/core-tensor';
import { type ConformanceCase, caseName } from './case.js';
import { DECODE_CHAIN_CASES } from './cases/decode-chains.js';
import { FUSED_CASES } from './cases/fused.js';
import { PRIMITIVE_CASES } from './cases/primitives.js';
import { type CaseResult, type FloatDType, type RunMode, runCase } from './run-case.js';

export const ALL_CASES: readonly ConformanceCase[] = [...PRIMITIVE_CASES, ...FUSED_CASES, ...DECODE_CHAIN_CASES];

export interface SuiteOptions {
  /** The backend under test (started). */
  backend: Backend;
  /** The float64 oracle (started; may be the same object as `backend`). */
  reference: Backend;
  /** Dtypes to run; default: f32 plus each 16-bit float dtype the backend supports. */
  dtypes?: readonly FloatDType[];
  /** Only cases whose full name matches. */
  filter?: RegExp;
  /** Default: both. */
  modes?: readonly RunMode[];
  /** Called as each result arrives (progress output). */
  onResult?(result: CaseResult): void;
}

export interface SuiteReport {
  backend: string;
  device: string;
  passed: number;
  failed: number;
  /** Case × dtype combinations not run, with the reason (e.g. the backend lacks a dtype the case needs). */
  skipped: Array<{ name: string; reason: string }>;
  results: CaseResult[];
}

const FUSED = new Set<string>(FUSED_KERNELS);

export function defaultDtypes(backend: Backend): FloatDType[] {
  const out: FloatDType[] = ['f32'];
  for (const d of ['bf16', 'f16'] as const) if (backend.capabilities.dtypes.includes(d)) out.push(d);
  return out;
}

/** The planned runs, in order. */
export function planSuite(options: Pick<SuiteOptions, 'backend' | 'dtypes' | 'filter' | 'modes'>): {
  runs: Array<{ c: ConformanceCase; dtype: FloatDType; mode: RunMode }>;
  skipped: Array<{ name: string; reason: string }>;
} {
  const { backend } = options;
  const dtypes = options.dtypes ?? defaultDtypes(backend);
  const modes = options.modes ?? ['native', 'composition'];
  const runs: Array<{ c: ConformanceCase; dtype: FloatDType; mode: RunMode }> = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const c of ALL_CASES) {
    for (const dtype of dtypes) {
      if (c.dtypes && !c.dtypes.includes(dtype)) continue;
      const name = `${caseName(c)} ${dtype}`;
      if (options.filter && !options.filter.test(name)) continue;
      const missing = [dtype, ...(c.requires ?? [])].filter((d) => !backend.capabilities.dtypes.includes(d));
      if (missing.length) {
        skipped.push({ name, reason: `backend lacks dtype ${missing.join(', ')}` });
        continue;
      }
      for (const mode of modes) {
        if (mode === 'composition' && !(FUSED.has(c.kernel) && backend.kernels[c.kernel as FusedKernelName])) continue;
        runs.push({ c, dtype, mode });
      }
    }
  }
  return { runs, skipped };
}

export async function runSuite(options: SuiteOptions): Promise<SuiteReport> {
  const { runs, skipped } = planSuite(options);
  const results: CaseResult[] = [];
  const use = async (b: Backend): Promise<void> => {
    await b.synchronize?.();
    useBackend(b);
  };
  for (const { c, dtype, mode } of runs) {
    const caseResults = await runCase(c, { target: options.backend, reference: options.reference, dtype, mode, use });
    for (const r of caseResults) {
      results.push(r);
      options.onResult?.(r);
    }
  }
  const passed = results.filter((r) => r.pass).length;
  return {
    backend: options.backend.name,
    device: options.backend.device,
    passed,
    failed: results.length - passed,
    skipped,
    results,
  };
}

/**
 * @falcon-h1/conformance — the one suite that certifies every falcon-h1 backend against the float64 reference.
 */
export { type CaseInput, type CaseOutputs, type ConformanceCase, caseName } from './case.js';
export { DECODE_CHAIN_CASES } from './cases/decode-chains.js';
export { FUSED_CASES } from './cases/fused.js';
export { PRIMITIVE_CASES } from './cases/primitives.js';
export { runConformanceCli } from './cli-main.js';
export { type Comparison, compareValues, TOLERANCE } from './compare.js';
export { BackendUnavailableError, importBackendModule, packageForBackend, startBackend } from './load-backend.js';
export { createRng, type Rng, randomArray, seedFromString } from './random.js';
export { formatResultLine, supportMatrix, toJson } from './report.js';
export {
  type CaseContext,
  type CaseResult,
  type FloatDType,
  type KernelPath,
  type RunMode,
  runCase,
} from './run-case.js';
export { ALL_CASES, defaultDtypes, planSuite, runSuite, type SuiteOptions, type SuiteReport } from './suite.js';

/**
 * @falcon-h1/backend-wasm without side effects: the backend, its factory (a core-tensor BackendModule), the
 * availability probe and the build options.
 *
 *   import { createWasmBackend } from '@falcon-h1/backend-wasm/base';
 *   const backend = await createWasmBackend({ build: 'simd' });        // force the single-threaded build
 *
 * `createBackend()` reads FALCON_WASM_BUILD (auto | simd | threads) and FALCON_WASM_THREADS in Node, or what
 * `configureWasm()` set, and otherwise detects: the threads build where SharedArrayBuffer and shared wasm memory
 * exist (in browsers: cross-origin-isolated pages only) and there are ≥ 2 cores, else the single-threaded build.
 */
import type { BackendModule } from '@falcon-h1/core-tensor';
import { chooseBuild, type WasmOptions } from './features.js';
import { WasmBackend } from './wasm-backend.js';
import { loadWasmModule, type WasmBuild } from './wasm-module.js';

export { chooseBuild, simdSupported, threadsSupport, type WasmOptions } from './features.js';
export { WasmBackend, WasmBuffer } from './wasm-backend.js';
export type { WasmBuild } from './wasm-module.js';

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/backend-wasm';

/** The registry name of this backend (core-tensor's `BackendModule`). */
export const backendName = 'wasm';

let defaults: WasmOptions = {};

/** Sets the options `createBackend()` uses (call before the backend starts, e.g. before `setBackend('wasm')`). */
export function configureWasm(options: WasmOptions): void {
  defaults = { ...options };
}

function describeRuntime(): string {
  const g = globalThis as { process?: { versions?: { node?: string } }; navigator?: { userAgent?: string } };
  if (g.process?.versions?.node) return `Node ${g.process.versions.node}`;
  const ua = g.navigator?.userAgent ?? '';
  const chrome = /Chrom(e|ium)\/([\d.]+)/.exec(ua);
  if (chrome) return `Chromium ${chrome[2]}`;
  return ua ? ua.split(' ').slice(-1)[0]! : 'JS';
}

/** Starts a wasm backend (loading and instantiating the chosen build). */
export async function createWasmBackend(options: WasmOptions = defaults): Promise<WasmBackend> {
  const choice = await chooseBuild(options);
  const module = await loadWasmModule(choice.build, choice.threads);
  return new WasmBackend(module, choice.build, describeRuntime());
}

/** The BackendModule factory (what `--backend-module` and the apps call). */
export const createBackend: BackendModule['createBackend'] = () => createWasmBackend(defaults);

/**
 * Whether this backend can run here, and which build it would pick. Every backend package exports this probe
 * (the convention `falcon-h1 info` relies on).
 */
export async function isAvailable(): Promise<
  | { available: true; build: WasmBuild; threads: number; note?: string; reason: string }
  | { available: false; reason: string }
> {
  try {
    const choice = await chooseBuild(defaults);
    const reason =
      choice.build === 'threads'
        ? `SIMD128 + threads build, ${choice.threads} threads`
        : `SIMD128 single-threaded build${choice.note ? ` (threads unavailable: ${choice.note})` : ''}`;
    return { available: true, ...choice, reason };
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  }
}

/**
 * Feature detection: which build of the backend can run here, and how many threads to give it.
 *
 * - SIMD128 is required by both builds (every current browser, Node ≥ 16, Deno, Bun).
 * - The threads build needs SharedArrayBuffer, shared WebAssembly memory and Atomics. Browsers only provide them
 *   to cross-origin-isolated pages (served with `Cross-Origin-Opener-Policy: same-origin` and
 *   `Cross-Origin-Embedder-Policy: require-corp`); when `crossOriginIsolated` is false the single-threaded build
 *   is used. Node, Deno and Bun always have them.
 * - With one core the threads build brings nothing, so 'auto' picks it only with ≥ 2 cores.
 */
import type { WasmBuild } from './wasm-module.js';

/** The parts of the WebAssembly JS API this file probes (typed here: the build targets no DOM lib). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike };
}

function webAssembly(): WebAssemblyApi | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

/** A module with one function returning a v128 (i32.const 0; i8x16.splat). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11,
]);

export function simdSupported(): boolean {
  try {
    return webAssembly()?.validate(SIMD_PROBE) === true;
  } catch {
    return false;
  }
}

/** true, or why the threads build cannot run here. */
export function threadsSupport(): true | string {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (g.crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (typeof g.SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available';
  if (typeof Atomics !== 'object') return 'Atomics is not available';
  try {
    const wasm = webAssembly();
    if (!wasm) return 'WebAssembly is not available';
    const memory = new wasm.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(memory.buffer instanceof (g.SharedArrayBuffer as typeof SharedArrayBuffer))) {
      return 'shared WebAssembly memory is not backed by a SharedArrayBuffer';
    }
  } catch (error) {
    return `shared WebAssembly memory is not available (${(error as Error).message})`;
  }
  return true;
}

/** Logical cores: navigator.hardwareConcurrency (browsers, Deno, Bun, Node ≥ 21) or os.availableParallelism(). */
export async function hardwareConcurrency(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return 1;
}

/** How to start the backend. Each field falls back to FALCON_WASM_BUILD / FALCON_WASM_THREADS (Node), then 'auto'. */
export interface WasmOptions {
  /** 'auto' (threads when supported and ≥ 2 cores), or force one build; a forced build that cannot run throws. */
  build?: 'auto' | WasmBuild;
  /** Threads of the pool in the threads build, the calling thread included (default: the cores, at most 16). */
  threads?: number;
}

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name] || undefined;
}

export interface BuildChoice {
  build: WasmBuild;
  threads: number;
  /** Why the single-threaded build was chosen, when 'auto' fell back. */
  note?: string;
}

/** Resolves options, environment and detection into the build to load. Throws with the reason when none can run. */
export async function chooseBuild(options: WasmOptions = {}): Promise<BuildChoice> {
  if (!simdSupported()) {
    throw new Error('WebAssembly SIMD128 is not supported by this runtime (both builds of backend-wasm need it)');
  }
  const requested = options.build ?? (env('FALCON_WASM_BUILD') as WasmOptions['build']) ?? 'auto';
  if (!['auto', 'simd', 'threads'].includes(requested)) {
    throw new Error(`unknown wasm build '${requested}' (use auto, simd or threads)`);
  }
  const envThreads = env('FALCON_WASM_THREADS');
  let threads = options.threads ?? (envThreads ? Number(envThreads) : undefined);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new Error(`wasm threads must be an integer from 1 to 64, got ${threads}`);
  }
  if (requested === 'simd') return { build: 'simd', threads: 1 };
  const support = threadsSupport();
  if (requested === 'threads') {
    if (support !== true) throw new Error(`the threads build of backend-wasm cannot run here: ${support}`);
    return { build: 'threads', threads: threads ?? Math.min(16, await hardwareConcurrency()) };
  }
  if (support !== true) return { build: 'simd', threads: 1, note: support };
  threads ??= Math.min(16, await hardwareConcurrency());
  if (threads < 2) return { build: 'simd', threads: 1, note: 'one core' };
  return { build: 'threads', threads };
}

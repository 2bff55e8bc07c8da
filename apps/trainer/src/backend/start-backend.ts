/**
 * Picking and starting the compute backend of a run. Backend packages are imported by name at run time
 * (`wasm` → @falcon-h1/backend-wasm), as the falcon-h1 CLI does, so a run needs only the backends it uses; `auto`
 * takes the first of AUTO_ORDER that starts here and says why each earlier one did not.
 */
import { type Backend, initBackend, listBackends } from '@falcon-h1/core-tensor';

export const BACKEND_NAMES = ['auto', 'reference', 'wasm', 'webgpu', 'cuda'] as const;
export type BackendChoice = (typeof BACKEND_NAMES)[number];

/**
 * `auto`'s preference: CUDA when an NVIDIA GPU and the addon are there, else wasm (SIMD, the fast CPU path), else the
 * float64 reference. WebGPU is left to an explicit `backend: "webgpu"`: in Node it often lands on a software
 * Vulkan driver, slower than wasm.
 */
export const AUTO_ORDER = ['cuda', 'wasm', 'reference'] as const;

export interface StartedBackend {
  name: string;
  backend: Backend;
  /** Why the backends tried before it were passed over (auto only). */
  skipped: string[];
}

/** Imports @falcon-h1/backend-<name>, whose entry registers it with core's registry, and starts it there. */
async function startNamed(name: string): Promise<Backend> {
  // Already registered by a static import (a bundle carrying its backend, a data-parallel test worker): no lookup.
  if (listBackends().includes(name)) return initBackend(name);
  const specifier = `@falcon-h1/backend-${name}`;
  try {
    await import(/* @vite-ignore */ specifier);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    if (message?.includes(`Cannot find package '${specifier}'`)) throw new Error(`${specifier} is not installed`);
    throw new Error(`cannot import ${specifier}: ${message}`);
  }
  return initBackend(name);
}

export async function startBackend(choice: BackendChoice): Promise<StartedBackend> {
  if (choice !== 'auto') return { name: choice, backend: await startNamed(choice), skipped: [] };
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      return { name, backend: await startNamed(name), skipped };
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no backend could start:\n  ${skipped.join('\n  ')}`);
}

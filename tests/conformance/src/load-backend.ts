/**
 * Loading backends by package or path: a backend package exports `backendName` and `createBackend()`
 * (core-tensor's `BackendModule`). The falcon-h1 backends are found by name (`reference` →
 * `@falcon-h1/backend-reference`); any third-party package or file plugs in through `--backend-module`.
 */
import type { Backend, BackendModule } from '@falcon-h1/core-tensor';

export class BackendUnavailableError extends Error {}

/** The package that holds a falcon-h1 backend of this name. */
export function packageForBackend(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`invalid backend name '${name}'`);
  return `@falcon-h1/backend-${name}`;
}

/** Imports a backend module from a package name or a file path and checks its exports. */
export async function importBackendModule(specifier: string): Promise<BackendModule> {
  let target = specifier;
  if (/^(\.{1,2}[\\/]|[\\/]|[A-Za-z]:[\\/])/.test(specifier)) {
    const { pathToFileURL } = await import('node:url');
    const { resolve } = await import('node:path');
    target = pathToFileURL(resolve(specifier)).href;
  }
  let mod: Partial<BackendModule>;
  try {
    mod = (await import(target)) as Partial<BackendModule>;
  } catch (error) {
    throw new BackendUnavailableError(`cannot import backend module '${specifier}': ${(error as Error).message}`);
  }
  if (typeof mod.backendName !== 'string' || typeof mod.createBackend !== 'function') {
    throw new Error(
      `'${specifier}' is not a falcon-h1 backend module: it must export 'backendName' (string) and 'createBackend()' (see BackendModule in @falcon-h1/core-tensor)`,
    );
  }
  return mod as BackendModule;
}

/** Starts a backend from its module; a factory failure becomes BackendUnavailableError with the reason. */
export async function startBackend(mod: BackendModule): Promise<Backend> {
  try {
    const backend = await mod.createBackend();
    if (backend.apiVersion !== 1)
      throw new Error(`contract apiVersion ${String(backend.apiVersion)} is not supported (expected 1)`);
    return backend;
  } catch (error) {
    throw new BackendUnavailableError(`backend '${mod.backendName}' is unavailable: ${(error as Error).message}`);
  }
}

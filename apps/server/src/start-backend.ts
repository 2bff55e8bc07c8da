/**
 * Starts a backend chosen by name at run time: `wasm` → the package @falcon-h1/backend-wasm, imported by name so
 * the server needs only the backends it is asked for (as the `falcon-h1` CLI does).
 */
import type { Backend, BackendModule } from '@falcon-h1/core-tensor';

export async function startBackendByName(name: string): Promise<Backend> {
  if (!/^[a-z0-9-]+$/.test(name))
    throw new Error(`invalid backend name '${name}' (expected e.g. wasm, reference, cuda)`);
  const specifier = `@falcon-h1/backend-${name}`;
  const mod = (await import(/* @vite-ignore */ specifier).catch((error: Error) => {
    throw new Error(`cannot import ${specifier} (is it installed?): ${error.message.split('\n')[0]}`);
  })) as Partial<BackendModule>;
  if (typeof mod.createBackend !== 'function') throw new Error(`${specifier} does not export createBackend()`);
  return Promise.resolve(mod.createBackend()).catch((error: Error) => {
    throw new Error(`backend '${name}' cannot start here: ${error.message}`);
  });
}

/**
 * The backend registry: backends register a factory under a name with a priority; users pick one with
 * `await setBackend(name)` (one line to swap platforms) or let `ready()` pick the best that starts.
 * Like onnxruntime's resolveBackend, a backend whose factory throws is remembered as failed with its reason,
 * and when none starts the error lists every failure.
 */
import type { Backend, BackendFactory } from './kernel-contract.js';

interface Registration {
  factory: BackendFactory;
  priority: number;
  instance?: Backend;
  failure?: string;
}

const registry = new Map<string, Registration>();
let current: Backend | undefined;

/** Registers (or replaces, with a warning-free overwrite) a backend factory. Higher priority wins in `ready()`. */
export function registerBackend(name: string, factory: BackendFactory, priority = 1): void {
  const previous = registry.get(name);
  if (previous?.instance && previous.instance === current) current = undefined;
  previous?.instance?.dispose?.();
  registry.set(name, { factory, priority });
}

/** Removes a backend and disposes its instance. */
export function removeBackend(name: string): void {
  const entry = registry.get(name);
  if (!entry) return;
  if (entry.instance && entry.instance === current) current = undefined;
  entry.instance?.dispose?.();
  registry.delete(name);
}

/** Names of registered backends, highest priority first. */
export function listBackends(): string[] {
  return [...registry.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([name]) => name);
}

/** Starts (once) and returns the named backend. Throws with the factory's reason if it cannot start. */
export async function initBackend(name: string): Promise<Backend> {
  const entry = registry.get(name);
  if (!entry) {
    throw new Error(`no backend named '${name}' is registered (registered: ${listBackends().join(', ') || 'none'})`);
  }
  if (entry.instance) return entry.instance;
  try {
    entry.instance = await entry.factory();
    entry.failure = undefined;
    return entry.instance;
  } catch (error) {
    entry.failure = error instanceof Error ? error.message : String(error);
    throw new Error(`backend '${name}' failed to start: ${entry.failure}`);
  }
}

/** Makes the named backend current for new tensors and kernels. */
export async function setBackend(name: string): Promise<Backend> {
  current = await initBackend(name);
  return current;
}

/** Makes an already-started backend instance current (tools that hold two backends at once, like the conformance runner). */
export function useBackend(backend: Backend): void {
  current = backend;
}

/** The current backend. Throws if none was set and none could be started synchronously. */
export function getBackend(): Backend {
  if (current) return current;
  // Start the highest-priority backend whose factory is synchronous, so scripts on the reference backend need no await.
  for (const name of listBackends()) {
    const entry = registry.get(name)!;
    if (entry.failure) continue;
    if (entry.instance) {
      current = entry.instance;
      return current;
    }
    try {
      const made = entry.factory();
      if (made instanceof Promise) {
        made.catch(() => undefined);
        continue;
      }
      entry.instance = made;
      current = made;
      return current;
    } catch (error) {
      entry.failure = error instanceof Error ? error.message : String(error);
    }
  }
  throw new Error(
    `no backend is set: call 'await setBackend(name)' first (registered: ${listBackends().join(', ') || 'none'})`,
  );
}

/** The current backend's name, or undefined when none is set. */
export function getBackendName(): string | undefined {
  return current?.name;
}

/** Picks the highest-priority backend that starts; reports every failure if none does. */
export async function ready(): Promise<Backend> {
  if (current) return current;
  const failures: string[] = [];
  for (const name of listBackends()) {
    try {
      return await setBackend(name);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(`no backend could start:\n  ${failures.join('\n  ') || 'none registered'}`);
}

/** The instance of a started backend, if any (for moving tensors between backends). */
export function findBackend(name: string): Backend | undefined {
  return registry.get(name)?.instance;
}

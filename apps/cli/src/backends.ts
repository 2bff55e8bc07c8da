/**
 * The backend packages of the falcon-h1 workspace, in the order `falcon-h1 info` lists them.
 * The CLI never imports them statically: each is loaded by name at run time, so the command works with only its own
 * built files and reports every backend that is missing or cannot start.
 */
export const BACKEND_PACKAGES = [
  '@falcon-h1/backend-reference',
  '@falcon-h1/backend-wasm',
  '@falcon-h1/backend-webgpu',
  '@falcon-h1/backend-cuda',
] as const;

/** What `falcon-h1 info` found out about one backend package. */
export interface BackendProbe {
  package: string;
  /**
   * - `available`: imported, and its `isAvailable()` said yes (or, without that probe, its `createBackend()` worked);
   * - `unavailable`: imported, and `isAvailable()` said no, or `createBackend()` threw (`detail` says why);
   * - `no-probe`: imported, but it exports neither `isAvailable()` nor `createBackend()`;
   * - `not-installed`: the package cannot be resolved from the CLI;
   * - `error`: importing it or calling `isAvailable()` threw or timed out (`detail` says what).
   */
  status: 'available' | 'unavailable' | 'no-probe' | 'not-installed' | 'error';
  /** Why it is not available, or for an available backend the device or reason it gave, when known. */
  detail?: string;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

function isNotInstalled(error: unknown, name: string): boolean {
  // Node and vite both say "Cannot find package '<name>'" when the package itself cannot be resolved. A package that
  // resolves but lacks a built file, or misses one of ITS dependencies, is broken, not absent.
  return error instanceof Error && error.message.includes(`Cannot find package '${name}'`);
}

function describeImportError(error: unknown, name: string): string {
  const line = firstLine(error);
  const missingBuild = error instanceof Error && error.message.includes(`${name}/dist/`);
  return missingBuild ? `import failed (is it built?): ${line}` : `import failed: ${line}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Imports one backend package by name and asks it whether it can run here. Never throws. */
export async function probeBackend(name: string, timeoutMs = 10_000): Promise<BackendProbe> {
  let mod: Record<string, unknown>;
  try {
    mod = (await withTimeout(import(/* @vite-ignore */ name), timeoutMs, `import('${name}')`)) as Record<
      string,
      unknown
    >;
  } catch (error) {
    if (isNotInstalled(error, name)) return { package: name, status: 'not-installed' };
    return { package: name, status: 'error', detail: describeImportError(error, name) };
  }
  const probe = mod.isAvailable;
  if (typeof probe === 'function') {
    try {
      const answer = (await withTimeout(Promise.resolve(probe()), timeoutMs, `${name} isAvailable()`)) as {
        available?: unknown;
        reason?: unknown;
      } | null;
      const reason = typeof answer?.reason === 'string' ? answer.reason : undefined;
      if (answer?.available === true)
        return { package: name, status: 'available', ...(reason ? { detail: reason } : {}) };
      return { package: name, status: 'unavailable', detail: reason ?? 'isAvailable() gave no reason' };
    } catch (error) {
      return { package: name, status: 'error', detail: `isAvailable() failed: ${firstLine(error)}` };
    }
  }
  // No probe: fall back to core-tensor's BackendModule, whose factory throws when the backend cannot start.
  const factory = mod.createBackend;
  if (typeof factory === 'function') {
    let backend: { device?: unknown; dispose?: unknown } | null;
    try {
      backend = (await withTimeout(Promise.resolve(factory()), timeoutMs, `${name} createBackend()`)) as typeof backend;
    } catch (error) {
      return { package: name, status: 'unavailable', detail: firstLine(error) };
    }
    try {
      if (typeof backend?.dispose === 'function') backend.dispose();
    } catch {
      // The probe's answer stands; a failing dispose is not what `info` reports on.
    }
    const device = typeof backend?.device === 'string' ? backend.device : undefined;
    return { package: name, status: 'available', ...(device ? { detail: device } : {}) };
  }
  return { package: name, status: 'no-probe', detail: 'exports neither isAvailable() nor createBackend()' };
}

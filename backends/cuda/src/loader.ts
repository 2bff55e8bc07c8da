/**
 * loader.ts — finds and loads the native addon, and says why when it cannot.
 *
 * Candidates, in order:
 *   1. $FALCON_H1_CUDA_ADDON (an explicit path: bundles, custom builds);
 *   2. prebuilds/<platform>-<arch>/falcon_h1_cuda.node (committed, built on a GPU host with CUDA 13 + cuBLASLt);
 *   3. native/build/Release/falcon_h1_cuda.node (`pnpm --filter @falcon-h1/backend-cuda build:native`).
 * The first that exists and loads wins; every failure is remembered, so "unavailable" names each path and its error
 * (for example "libcublasLt.so.13: cannot open shared object file" on a machine without cuBLASLt).
 * Loading never throws and never builds anything.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDON_ABI_VERSION, type CudaAddon } from './binding.js';

export const ADDON_FILE = 'falcon_h1_cuda.node';

export interface AddonCandidate {
  readonly path: string;
  readonly origin: 'env' | 'prebuilt' | 'source';
}

export interface AddonLoadResult {
  /** The loaded addon, when one loaded. */
  readonly addon?: CudaAddon;
  /** Which file it came from. */
  readonly path?: string;
  /** Why nothing loaded (set exactly when `addon` is not). */
  readonly reason?: string;
  /** Every candidate tried, with its error. */
  readonly attempts: ReadonlyArray<{ path: string; error: string }>;
}

/** The package root (the directory holding package.json), from this module's location (src/ or dist/). */
export function packageRoot(moduleUrl: string = import.meta.url): string {
  return resolve(dirname(fileURLToPath(moduleUrl)), '..');
}

/** The files to try, in order. */
export function addonCandidates(
  root: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: string = process.platform,
  arch: string = process.arch,
): AddonCandidate[] {
  const list: AddonCandidate[] = [];
  const explicit = env.FALCON_H1_CUDA_ADDON;
  if (explicit) list.push({ path: resolve(explicit), origin: 'env' });
  list.push({ path: join(root, 'prebuilds', `${platform}-${arch}`, ADDON_FILE), origin: 'prebuilt' });
  list.push({ path: join(root, 'native', 'build', 'Release', ADDON_FILE), origin: 'source' });
  return list;
}

type RequireFn = (path: string) => unknown;

const nodeRequire: RequireFn = createRequire(import.meta.url);

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}

/** Tries the candidates in order (injectable `requireFn` / `exists` for tests). */
export function loadAddon(
  candidates: readonly AddonCandidate[],
  requireFn: RequireFn = nodeRequire,
  exists: (path: string) => boolean = existsSync,
): AddonLoadResult {
  const attempts: Array<{ path: string; error: string }> = [];
  for (const candidate of candidates) {
    if (!exists(candidate.path)) {
      if (candidate.origin === 'env')
        attempts.push({ path: candidate.path, error: 'FALCON_H1_CUDA_ADDON: no such file' });
      continue;
    }
    try {
      const addon = requireFn(candidate.path) as Partial<CudaAddon>;
      if (typeof addon.probe !== 'function' || typeof addon.Context !== 'function') {
        attempts.push({ path: candidate.path, error: 'not a falcon-h1 CUDA addon (no probe/Context exports)' });
        continue;
      }
      if (addon.abiVersion !== ADDON_ABI_VERSION) {
        attempts.push({
          path: candidate.path,
          error: `addon ABI ${String(addon.abiVersion)} does not match this package (${ADDON_ABI_VERSION}): rebuild it`,
        });
        continue;
      }
      return { addon: addon as CudaAddon, path: candidate.path, attempts };
    } catch (error) {
      attempts.push({ path: candidate.path, error: firstLine(error) });
    }
  }
  let reason: string;
  if (attempts.length === 0) {
    const tried = candidates.map((c) => c.path).join(', ');
    reason =
      `no CUDA addon is built for ${process.platform}-${process.arch} (looked for ${tried}); ` +
      'build one with `pnpm --filter @falcon-h1/backend-cuda build:native` on a machine with the CUDA toolkit';
  } else {
    reason = `the CUDA addon could not be loaded: ${attempts.map((a) => `${a.path}: ${a.error}`).join('; ')}`;
  }
  return { reason, attempts };
}

let cached: AddonLoadResult | undefined;

/** Loads the addon once per process (from this package's files, or $FALCON_H1_CUDA_ADDON). */
export function loadDefaultAddon(): AddonLoadResult {
  cached ??= loadAddon(addonCandidates(packageRoot()));
  return cached;
}

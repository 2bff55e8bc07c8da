/**
 * @falcon-h1/backend-cuda: The CUDA backend (node-addon-api, cuBLASLt).
 *
 * This package is still an empty shell: its implementation arrives with issue #7. Until then it exports only
 * its name, an `isAvailable()` probe that says the backend is unavailable, and core-tensor's `BackendModule`
 * (`backendName`, `createBackend()`) whose factory throws that reason, so that the workspace graph, the build, the
 * tests, `falcon-h1 info`, the conformance CLI and the release check already cover it.
 * See README.md for the role it will play.
 */

import type { Backend } from '@falcon-h1/core-tensor';

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/backend-cuda';

/**
 * Whether this backend can run on this machine. Every backend package exports this probe (the convention
 * `falcon-h1 info` relies on): a backend that cannot start says so with a reason instead of throwing.
 */
export async function isAvailable(): Promise<{ available: false; reason: string }> {
  return { available: false, reason: 'backend-cuda is not implemented yet (issue #7)' };
}

/** The registry name of this backend (core-tensor's `BackendModule`). */
export const backendName = 'cuda';

/** core-tensor's `BackendModule` factory: a backend that cannot start throws an Error that says why. */
export async function createBackend(): Promise<Backend> {
  const { reason } = await isAvailable();
  throw new Error(reason);
}

/**
 * @falcon-h1/backend-reference without side effects: the backend class and its factory (a BackendModule).
 */
import type { BackendModule } from '@falcon-h1/core-tensor';
import { ReferenceBackend } from './reference-backend.js';

export { ReferenceBackend };

export const backendName = 'reference';

/** A fresh reference backend. */
export function createReferenceBackend(): ReferenceBackend {
  return new ReferenceBackend();
}

/** The BackendModule factory (what `--backend-module` and the apps call). */
export const createBackend: BackendModule['createBackend'] = createReferenceBackend;

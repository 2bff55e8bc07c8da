/**
 * @falcon-h1/backend-reference: the pure TypeScript float64 oracle backend.
 * Importing this entry registers it with core's registry as 'reference' (priority 1, the lowest: any native
 * backend that starts wins `ready()`); `./base` exports the same without registering.
 */
import { registerBackend } from '@falcon-h1/core-tensor';
import { createReferenceBackend } from './base.js';

export * from './base.js';

registerBackend('reference', createReferenceBackend, 1);

/**
 * @falcon-h1/backend-cuda: the NVIDIA backend (node-addon-api, cuBLASLt). Importing this entry registers it with
 * core's registry as 'cuda' (priority 10: above wasm/webgpu and the reference, so `ready()` takes it where it
 * starts); `./base` exports the same without registering.
 */
import { registerBackend } from '@falcon-h1/core-tensor';
import { createBackend } from './base.js';

export * from './base.js';

registerBackend('cuda', createBackend, 10);

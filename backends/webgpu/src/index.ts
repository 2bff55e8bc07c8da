/**
 * @falcon-h1/backend-webgpu: the WebGPU (WGSL) backend. Importing this entry registers it with core's registry as
 * 'webgpu' (priority 3: above wasm and reference); `./base` exports the same without registering.
 */
import { registerBackend } from '@falcon-h1/core-tensor';
import { createWebGPUBackend } from './base.js';

export * from './base.js';

registerBackend('webgpu', createWebGPUBackend, 3);

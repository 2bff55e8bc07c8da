/**
 * @falcon-h1/backend-wasm: every kernel of the core-tensor contract in C with WASM SIMD128 (and a pthread pool),
 * compiled by emscripten. Importing this entry registers it with core's registry as 'wasm' (priority 2: above
 * the reference oracle, below GPU backends); `./base` exports the same without registering.
 */
import { registerBackend } from '@falcon-h1/core-tensor';
import { createBackend } from './base.js';

export * from './base.js';

registerBackend('wasm', createBackend, 2);

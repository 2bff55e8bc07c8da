import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { WasmBackend } from '../wasm-backend.js';
import { reduce } from './reduce.js';

/** Mean over a set of axes: csrc/kernels/Mean.c */
export function mean(backend: WasmBackend, inputs: KernelInputs<'Mean'>, attrs: KernelAttrs<'Mean'>): TensorInfo {
  return reduce('Mean', backend, inputs, attrs);
}

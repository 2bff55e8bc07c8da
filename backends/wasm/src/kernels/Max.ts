import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { WasmBackend } from '../wasm-backend.js';
import { reduce } from './reduce.js';

/** Max over a set of axes: csrc/kernels/Max.c */
export function max(backend: WasmBackend, inputs: KernelInputs<'Max'>, attrs: KernelAttrs<'Max'>): TensorInfo {
  return reduce('Max', backend, inputs, attrs);
}

import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { WasmBackend } from '../wasm-backend.js';
import { reduce } from './reduce.js';

/** Sum over a set of axes: csrc/kernels/Sum.c */
export function sum(backend: WasmBackend, inputs: KernelInputs<'Sum'>, attrs: KernelAttrs<'Sum'>): TensorInfo {
  return reduce('Sum', backend, inputs, attrs);
}

/** The shape of every wasm kernel: the contract's KernelFunc with the backend in front (as the reference backend). */
import type { KernelAttrs, KernelInputs, KernelName, KernelOutputs } from '@falcon-h1/core-tensor';
import type { WasmBackend } from './wasm-backend.js';

export type WasmKernel<K extends KernelName> = (
  backend: WasmBackend,
  inputs: KernelInputs<K>,
  attrs: KernelAttrs<K>,
) => KernelOutputs<K>;

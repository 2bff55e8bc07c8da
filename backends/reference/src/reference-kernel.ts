/** The shape of every reference kernel: the contract's KernelFunc with the backend's buffer store in front. */
import type { KernelAttrs, KernelInputs, KernelName, KernelOutputs } from '@falcon-h1/core-tensor';
import type { BufferStore } from './buffer-store.js';

export type ReferenceKernel<K extends KernelName> = (
  store: BufferStore,
  inputs: KernelInputs<K>,
  attrs: KernelAttrs<K>,
) => KernelOutputs<K>;

/** Small helpers shared by the fused kernels. */
import type { TensorInfo } from '@falcon-h1/core-tensor';
import type { BindingDef, Elem } from '../program.js';
import { elemOf, type GpuData, type WebGPUBackend } from '../webgpu-backend.js';

/** The buffer of an optional input, or the backend's dummy buffer when it is absent. */
export function optional(b: WebGPUBackend, t: TensorInfo | undefined): GpuData {
  return t ? b.data(t) : b.dummy();
}

/** A binding for an optional input: its own element type, or `fallback` when absent. */
export function optionalBinding(name: string, t: TensorInfo | undefined, fallback: Elem): BindingDef {
  return { name, elem: t ? elemOf(t.dtype) : fallback };
}

export function flag(v: unknown): number {
  return v ? 1 : 0;
}

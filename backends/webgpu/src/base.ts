/**
 * @falcon-h1/backend-webgpu without side effects: the backend class, its factory (a BackendModule) and the
 * `isAvailable()` probe. WebGPU comes from navigator.gpu (browsers) or the `webgpu` npm package (Dawn, Node).
 */
import type { Backend, BackendModule } from '@falcon-h1/core-tensor';
import { type AcquireOptions, acquireDevice, describeAdapter } from './gpu.js';

export type { AcquireOptions } from './gpu.js';

import { WebGPUBackend } from './webgpu-backend.js';

export type { GpuData, WebGPUStats } from './webgpu-backend.js';
export { WebGPUBackend };

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/backend-webgpu';

/** The registry name of this backend (core-tensor's `BackendModule`). */
export const backendName = 'webgpu';

/** A started WebGPU backend; throws an Error that says why when there is no adapter or device. */
export async function createWebGPUBackend(options: AcquireOptions = {}): Promise<WebGPUBackend> {
  return new WebGPUBackend(await acquireDevice(options));
}

/** core-tensor's `BackendModule` factory. */
export const createBackend: BackendModule['createBackend'] = () => createWebGPUBackend() as Promise<Backend>;

/**
 * Whether this backend can run here (the convention `falcon-h1 info` relies on): an adapter and a device can be
 * had. Gives the adapter's description, or the reason it cannot start.
 */
export async function isAvailable(): Promise<
  { available: true; reason: string } | { available: false; reason: string }
> {
  try {
    const acquired = await acquireDevice();
    const reason = describeAdapter(acquired);
    acquired.device.destroy();
    return { available: true, reason };
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  }
}

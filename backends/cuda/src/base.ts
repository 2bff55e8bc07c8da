/**
 * @falcon-h1/backend-cuda without side effects: the backend class, its factory (a BackendModule) and the
 * availability probe. Importing `@falcon-h1/backend-cuda` (index.ts) also registers it as 'cuda'.
 *
 * `createBackend()` throws "unavailable: <reason>" when the addon is missing or cannot load (no prebuilt for this
 * platform, no cuBLASLt library), when the driver is missing or too old (CUDA error 35) or when no GPU is visible.
 */
import type { Backend, BackendModule, FusedKernelName, KernelTable } from '@falcon-h1/core-tensor';
import { FUSED_KERNELS } from '@falcon-h1/core-tensor';
import type { CudaAddon, CudaProbe } from './binding.js';
import { CudaBackend } from './cuda-backend.js';
import { loadDefaultAddon } from './loader.js';

export type { CudaAddon, CudaContext, CudaDeviceInfo, CudaMemoryStats, CudaProbe } from './binding.js';
export { type AddonCandidate, type AddonLoadResult, addonCandidates, loadAddon, packageRoot } from './loader.js';
export { CudaBackend };

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/backend-cuda';

/** The registry name of this backend (core-tensor's `BackendModule`). */
export const backendName = 'cuda';

export interface CudaBackendOptions {
  /** CUDA device ordinal (default: $FALCON_H1_CUDA_DEVICE or 0). */
  device?: number;
  /**
   * Fused kernels to leave out (core composes them instead), e.g. to compare a native kernel with its composition.
   * Default: $FALCON_H1_CUDA_DISABLE (comma-separated kernel names).
   */
  disable?: readonly FusedKernelName[];
  /** An already loaded addon (tests, custom builds); default: the loader's (src/loader.ts). */
  addon?: CudaAddon;
  /**
   * f32 MatMul on TF32 tensor cores (products with a 10-bit mantissa, f32 accumulation): faster, and outside the f32
   * conformance tolerance, hence opt-in. Default: $FALCON_H1_CUDA_TF32 = 1.
   */
  tf32?: boolean;
}

function envList(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The loaded addon and its probe, or why there is none. */
function resolveAddon(given?: CudaAddon): { addon?: CudaAddon; probe?: CudaProbe; reason?: string } {
  let addon = given;
  if (!addon) {
    const loaded = loadDefaultAddon();
    if (!loaded.addon) return { reason: loaded.reason };
    addon = loaded.addon;
  }
  const probe = addon.probe();
  if (!probe.ok) return { addon, probe, reason: probe.reason ?? 'no usable CUDA device' };
  return { addon, probe };
}

/**
 * Whether this backend can run on this machine. Every backend package exports this probe (the convention
 * `falcon-h1 info` relies on): a backend that cannot start says so with a reason instead of throwing.
 */
export async function isAvailable(): Promise<{ available: boolean; reason?: string; devices?: number }> {
  try {
    const { probe, reason } = resolveAddon();
    if (reason) return { available: false, reason: `unavailable: ${reason}` };
    return { available: true, devices: probe!.devices };
  } catch (error) {
    return { available: false, reason: `unavailable: ${(error as Error).message}` };
  }
}

/** A CUDA backend on one device; throws "unavailable: <reason>" when it cannot start. */
export function createCudaBackend(options: CudaBackendOptions = {}): CudaBackend {
  const { addon, reason } = resolveAddon(options.addon);
  if (reason || !addon) throw new Error(`unavailable: ${reason}`);
  const device = options.device ?? Number(process.env.FALCON_H1_CUDA_DEVICE ?? 0);
  let backend: CudaBackend;
  try {
    backend = new CudaBackend(addon, device);
  } catch (error) {
    throw new Error(`unavailable: ${(error as Error).message}`);
  }
  if (options.tf32 ?? process.env.FALCON_H1_CUDA_TF32 === '1') backend.ctx.setTf32(true);
  const disable = options.disable ?? (envList('FALCON_H1_CUDA_DISABLE') as FusedKernelName[]);
  for (const name of disable) {
    if (!(FUSED_KERNELS as readonly string[]).includes(name)) {
      backend.dispose();
      throw new Error(`FALCON_H1_CUDA_DISABLE: '${name}' is not a fused kernel (${FUSED_KERNELS.join(', ')})`);
    }
    delete (backend.kernels as Partial<KernelTable>)[name];
  }
  return backend;
}

/** core-tensor's `BackendModule` factory. */
export const createBackend: BackendModule['createBackend'] = (): Backend => createCudaBackend();

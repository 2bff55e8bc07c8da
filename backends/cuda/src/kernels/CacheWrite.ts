/**
 * CacheWrite (native/kernels/cache_write.cu): a decode step's rows copied into the cache in place. The slots stay on
 * the device (the kernel reads them), so a captured decode step replays the write at each step's new slot.
 */
import type { KernelInputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

export function cacheWrite(backend: CudaBackend, { cache, values, slots }: KernelInputs<'CacheWrite'>): undefined {
  const [B, L] = cache.shape as [number, number];
  backend.ctx.CacheWrite(
    backend.id(cache),
    backend.id(values),
    backend.id(slots),
    backend.code(cache.dtype),
    B,
    L,
    values.shape[1]!,
    sizeOf(cache.shape.slice(2)),
    sizeOf(slots.shape) === 1,
  );
  return undefined;
}

/** Any dtype the device stores (f32, f16, bf16, i32, u8) for the cache and values; slots i32. */
export function cacheWriteSupport({ cache, slots }: KernelInputs<'CacheWrite'>): true | string {
  if (!['f32', 'f16', 'bf16', 'i32', 'u8'].includes(cache.dtype)) return `CacheWrite: no ${cache.dtype} storage here`;
  if (slots.dtype !== 'i32') return `CacheWrite: slots must be i32, got ${slots.dtype}`;
  return true;
}

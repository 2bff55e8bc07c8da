/**
 * CacheWrite: a decode step's rows into a preallocated cache in place (the static KV cache of captured decode), one
 * dispatch over the new values (shaders/cache_write.wgsl) — the composition is a Where over every slot and more.
 * The slots are read on the device, so a replayed graph writes where the current step says.
 */
import type { KernelInputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

export function cacheWrite(b: WebGPUBackend, { cache, values, slots }: KernelInputs<'CacheWrite'>): undefined {
  const [rows, len] = cache.shape as [number, number];
  const steps = values.shape[1]!;
  const rest = sizeOf(cache.shape.slice(2));
  if (values.dtype !== cache.dtype || values.shape[0] !== rows || sizeOf(values.shape) !== rows * steps * rest) {
    throw new Error(
      `webgpu CacheWrite: values ${values.dtype}[${values.shape.join(', ')}] do not fit the cache ${cache.dtype}[${cache.shape.join(', ')}]`,
    );
  }
  if (slots.dtype !== 'i32' || (slots.shape[0] !== rows && slots.shape[0] !== 1)) {
    throw new Error(
      `webgpu CacheWrite: slots must be i32 [${rows}] or [1], got ${slots.dtype}[${slots.shape.join(', ')}]`,
    );
  }
  const n = rows * steps * rest;
  if (n === 0) return undefined;
  const elem = elemOf(cache.dtype);
  b.dispatch(
    {
      shader: 'cache_write',
      bindings: [
        { name: 'values', elem },
        { name: 'slots', elem: 'i32' },
        { name: 'cache', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['rest', 'u32'],
        ['steps', 'u32'],
        ['len', 'u32'],
        ['shared_slot', 'u32'],
      ],
      workgroupSize: WG,
    },
    [b.data(values), b.data(slots), b.data(cache)],
    { n, rest, steps, len, shared_slot: slots.shape[0] === 1 ? 1 : 0 },
    Math.ceil(n / WG),
  );
  return undefined;
}

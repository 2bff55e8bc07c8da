/**
 * supportsKernel for AttentionDecodeStep, which needs no GPU: 16-bit and f32 activations with i32 positions, slots
 * and document ids; the kernel's limits (query heads per KV head, head dim, shared memory) declined with a reason,
 * so core runs the composition instead.
 */
import type { DType, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import type { CudaBackend } from '../src/cuda-backend.js';
import { supportsKernel } from '../src/support.js';

const device = { info: { maxSharedPerBlock: 48 * 1024 } } as unknown as CudaBackend;
const info = (shape: number[], dtype: DType): TensorInfo => ({ dataId: {}, shape, dtype }) as unknown as TensorInfo;

function step(dtype: DType, hq: number, hkv: number, dh: number, b = 2, l = 37): KernelInputs<'AttentionDecodeStep'> {
  return {
    qkv: info([b, (hq + 2 * hkv) * dh], dtype),
    positions: info([b], 'i32'),
    keys: info([b, l, hkv, dh], dtype),
    values: info([b, l, hkv, dh], dtype),
    slots: info([1], 'i32'),
    qSeqIdx: info([b], 'i32'),
    kSeqIdx: info([b, l], 'i32'),
  };
}

const attrs = (hq: number, hkv: number) => ({ heads: hq, kvHeads: hkv, theta: 1e4, scale: 0.125, offset: 0 });

describe('CUDA supportsKernel: AttentionDecodeStep', () => {
  it('takes f32, f16 and bf16 steps with i32 positions, slots and document ids', () => {
    for (const dtype of ['f32', 'f16', 'bf16'] as const) {
      expect(supportsKernel(device, 'AttentionDecodeStep', step(dtype, 8, 2, 64), attrs(8, 2))).toBe(true);
    }
    expect(supportsKernel(device, 'AttentionDecodeStep', step('bf16', 16, 1, 128), attrs(16, 1))).toBe(true);
  });

  it('declines what the kernel cannot take, with a reason', () => {
    expect(supportsKernel(device, 'AttentionDecodeStep', step('f32', 64, 1, 16), attrs(64, 1))).toMatch(
      /at most 16 query heads per KV head, got 64/,
    );
    expect(supportsKernel(device, 'AttentionDecodeStep', step('f32', 2, 1, 320), attrs(2, 1))).toMatch(
      /head dim must be ≤ 256, got 320/,
    );
    expect(supportsKernel(device, 'AttentionDecodeStep', step('f32', 16, 1, 256), attrs(16, 1))).toMatch(
      /more shared memory/,
    );
    expect(supportsKernel(device, 'AttentionDecodeStep', step('f64', 8, 2, 64), attrs(8, 2))).toMatch(/f64/);
    const floatSlots = { ...step('f32', 8, 2, 64), slots: info([1], 'f32') };
    expect(supportsKernel(device, 'AttentionDecodeStep', floatSlots, attrs(8, 2))).toMatch(/slots must be i32/);
  });
});

/**
 * supportsKernel's dtype rules for the scan, which need no GPU: a bf16/f16 model feeds 16-bit x/Bm/Cm with f32
 * dt/A/D (the tensor-core SSD's inputs) and its backward takes dy in y's dtype, which is dt's (f32 there); the
 * all-same-dtype cases still pass, anything else goes to the composition with a reason.
 */
import type { DType, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import type { CudaBackend } from '../src/cuda-backend.js';
import { supportsKernel } from '../src/support.js';

// supportsKernel reads only the device's shared-memory size (for other kernels than the scan).
const device = { info: { maxSharedPerBlock: 48 * 1024 } } as unknown as CudaBackend;

const info = (shape: number[], dtype: DType): TensorInfo => ({ dataId: {}, shape, dtype }) as unknown as TensorInfo;

function scanInputs(activations: DType, parameters: DType, withD = true): KernelInputs<'SsmScan'> {
  return {
    x: info([2, 9, 4, 8], activations),
    dt: info([2, 9, 4], parameters),
    A: info([4], parameters),
    Bm: info([2, 9, 2, 16], activations),
    Cm: info([2, 9, 2, 16], activations),
    ...(withD ? { D: info([4], parameters) } : {}),
    initialState: info([2, 4, 8, 16], 'f32'),
    seqIdx: info([2, 9], 'i32'),
  };
}

describe('CUDA supportsKernel: SsmScan dtypes', () => {
  it('takes 16-bit x/Bm/Cm with f32 dt/A/D, and one dtype throughout', () => {
    for (const [activations, parameters] of [
      ['bf16', 'f32'],
      ['f16', 'f32'],
      ['bf16', 'bf16'],
      ['f16', 'f16'],
      ['f32', 'f32'],
    ] as const) {
      expect(supportsKernel(device, 'SsmScan', scanInputs(activations, parameters), { chunkSize: 8 })).toBe(true);
      const grad: KernelInputs<'SsmScanGrad'> = {
        ...scanInputs(activations, parameters),
        dy: info([2, 9, 4, 8], parameters), // y takes dt's dtype
        dFinalState: info([2, 4, 8, 16], 'f32'),
      };
      expect(supportsKernel(device, 'SsmScanGrad', grad, { chunkSize: 8 })).toBe(true);
    }
  });

  it('declines parameters in another 16-bit dtype, or of mixed dtypes, with a reason', () => {
    expect(supportsKernel(device, 'SsmScan', scanInputs('bf16', 'f16'), { chunkSize: 8 })).toMatch(
      /dt, A and D must be f32 or the activations' dtype bf16, got f16/,
    );
    expect(supportsKernel(device, 'SsmScan', scanInputs('f32', 'bf16'), { chunkSize: 8 })).toMatch(/got bf16/);
    const mixed = { ...scanInputs('bf16', 'f32'), D: info([4], 'bf16') };
    expect(supportsKernel(device, 'SsmScan', mixed, { chunkSize: 8 })).toMatch(/D: dt, A and D of mixed dtypes/);
    const activations = { ...scanInputs('bf16', 'f32'), Cm: info([2, 9, 2, 16], 'f16') };
    expect(supportsKernel(device, 'SsmScan', activations, { chunkSize: 8 })).toMatch(/inputs of mixed dtypes/);
  });

  it("declines a backward whose dy is not in y's dtype (dt's), with a reason", () => {
    const grad = (dy: DType): KernelInputs<'SsmScanGrad'> => ({
      ...scanInputs('bf16', 'f32'),
      dy: info([2, 9, 4, 8], dy),
    });
    expect(supportsKernel(device, 'SsmScanGrad', grad('bf16'), { chunkSize: 8 })).toMatch(
      /dy: dy, dt, A and D of mixed dtypes \(f32 and bf16\)/,
    );
    const uniform = { ...scanInputs('bf16', 'bf16'), dy: info([2, 9, 4, 8], 'f32') };
    expect(supportsKernel(device, 'SsmScanGrad', uniform, { chunkSize: 8 })).toMatch(
      /dy, dt, A and D of mixed dtypes \(bf16 and f32\)/,
    );
  });
});

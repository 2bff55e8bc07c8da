/**
 * supportsKernel's dtype rules for the scan and the decode step, which need no GPU: a bf16/f16 model feeds 16-bit
 * x/Bm/Cm with f32 dt/A/D (the tensor-core SSD's inputs) and its backward takes dy in y's dtype, which is dt's (f32
 * there); SsmDecodeStep takes 16-bit activations with f32 states; the all-same-dtype cases still pass, anything else
 * goes to the composition with a reason.
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

describe('CUDA supportsKernel: SsmDecodeStep dtypes', () => {
  // H = 4, P = 8, G = 2, N = 16, K = 4: convDim = 32 + 64, zxbcdt = 32 + 96 + 4.
  const decodeInputs = (
    activations: DType,
    states: DType,
    parameters: DType = states,
  ): KernelInputs<'SsmDecodeStep'> => ({
    zxbcdt: info([3, 132], activations),
    convState: info([3, 96, 4], activations),
    convWeight: info([96, 4], activations),
    convBias: info([96], activations),
    ssmState: info([3, 4, 8, 16], states),
    dtBias: info([4], parameters),
    A: info([4], parameters),
    D: info([4], parameters),
  });
  const attrs = { activation: 'silu', gate: 'silu', dtMin: 0, dtMax: Number.POSITIVE_INFINITY } as const;

  it('takes f32/f16/bf16 activations with f32 states and parameters', () => {
    for (const activations of ['f32', 'f16', 'bf16'] as const) {
      expect(supportsKernel(device, 'SsmDecodeStep', decodeInputs(activations, 'f32'), attrs)).toBe(true);
    }
  });

  it("takes a 16-bit state in the activations' own dtype (f32 parameters), in and out of place", () => {
    for (const dtype of ['f16', 'bf16'] as const) {
      expect(supportsKernel(device, 'SsmDecodeStep', decodeInputs(dtype, dtype, 'f32'), attrs)).toBe(true);
      expect(
        supportsKernel(device, 'SsmDecodeStepInPlace', decodeInputs(dtype, dtype, 'f32'), { ...attrs, offset: 0 }),
      ).toBe(true);
    }
  });

  it('declines other state dtypes, 16-bit parameters or mixed activations (the composition runs), with a reason', () => {
    expect(supportsKernel(device, 'SsmDecodeStep', decodeInputs('bf16', 'f16', 'f32'), attrs)).toMatch(
      /ssmState must be f32 or the activations' 16-bit dtype \(bf16\), got f16/,
    );
    expect(supportsKernel(device, 'SsmDecodeStep', decodeInputs('f32', 'bf16', 'f32'), attrs)).toMatch(
      /ssmState must be f32 with f32 activations \(a 16-bit state needs f16\/bf16 activations of its dtype\), got bf16/,
    );
    expect(supportsKernel(device, 'SsmDecodeStep', decodeInputs('bf16', 'bf16'), attrs)).toMatch(
      /dtBias must be f32 on the CUDA backend, got bf16/,
    );
    const mixed = { ...decodeInputs('bf16', 'f32'), convWeight: info([96, 4], 'f32') };
    expect(supportsKernel(device, 'SsmDecodeStep', mixed, attrs)).toMatch(/inputs of mixed dtypes/);
    const huge = { ...decodeInputs('f32', 'f32'), ssmState: info([3, 4, 8, 8192], 'f32') };
    expect(supportsKernel(device, 'SsmDecodeStep', huge, attrs)).toMatch(/needs more shared memory/);
  });
});

describe('CUDA supportsKernel: AddRmsNorm', () => {
  const addNorm = (dtype: DType, d: number, residual: DType = dtype): KernelInputs<'AddRmsNorm'> => ({
    x: info([3, d], dtype),
    residual: info([3, d], residual),
    weight: info([d], dtype),
  });

  it('takes one float dtype with D up to a row of sums in 48 KiB of shared memory', () => {
    for (const dtype of ['f32', 'f16', 'bf16'] as const) {
      expect(supportsKernel(device, 'AddRmsNorm', addNorm(dtype, 1031), { eps: 1e-5 })).toBe(true);
    }
    expect(supportsKernel(device, 'AddRmsNorm', addNorm('bf16', 12288), { eps: 1e-5 })).toBe(true);
  });

  it('declines a wider row, mixed dtypes and f64, saying why', () => {
    expect(supportsKernel(device, 'AddRmsNorm', addNorm('f32', 12289), { eps: 1e-5 })).toMatch(
      /D = 12289 exceeds 12288/,
    );
    expect(supportsKernel(device, 'AddRmsNorm', addNorm('bf16', 64, 'f32'), { eps: 1e-5 })).toMatch(/mixed dtypes/);
    expect(supportsKernel(device, 'AddRmsNorm', addNorm('f64', 64), { eps: 1e-5 })).toMatch(/not one of f32/);
  });
});

describe('CUDA supportsKernel: SwiGluPacked', () => {
  it('takes a packed projection of f32, f16 or bf16 and declines f64, saying why', () => {
    for (const dtype of ['f32', 'f16', 'bf16'] as const) {
      expect(
        supportsKernel(device, 'SwiGluPacked', { gateUp: info([32, 1, 4096], dtype) }, { gateMultiplier: 1 }),
      ).toBe(true);
    }
    expect(supportsKernel(device, 'SwiGluPacked', { gateUp: info([1, 10], 'f64') }, { gateMultiplier: 1 })).toMatch(
      /gateUp: dtype f64 is not one of f32/,
    );
  });
});

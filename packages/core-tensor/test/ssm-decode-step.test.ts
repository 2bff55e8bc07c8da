/**
 * ssmDecodeStep's input rules: the sizes come from the states (H, P, N from ssmState, convDim and K from convState,
 * G = (convDim − H·P) / 2N), the packed projection must be [B, H·P + convDim + H], the conv tensors share its dtype
 * and the SSM tensors are in the state dtype (f32 for 16-bit activations) — but ssmState, which may be a 16-bit
 * state in the activations' own f16/bf16. Anything else is refused naming the input and the shape it should have.
 * Values are the conformance suite's business (tests/conformance) and ssm-decode-step-16-bit-state.test.ts's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import {
  type DType,
  type SsmDecodeStepInputs,
  ssmDecodeStep,
  type Tensor,
  tidy,
  useBackend,
  zeros,
} from '../src/index.js';

// B = 2, H = 4, P = 3, G = 2, N = 5, K = 4: dSsm = 12, convDim = 32, the packed width 12 + 32 + 4 = 48.
function inputs(activations: DType, overrides: Partial<Record<keyof SsmDecodeStepInputs, [number[], DType]>> = {}) {
  const state: DType = activations === 'f64' ? 'f64' : 'f32';
  const spec: Record<keyof SsmDecodeStepInputs, [number[], DType]> = {
    zxbcdt: [[2, 48], activations],
    convState: [[2, 32, 4], activations],
    convWeight: [[32, 4], activations],
    convBias: [[32], activations],
    ssmState: [[2, 4, 3, 5], state],
    dtBias: [[4], state],
    A: [[4], state],
    D: [[4], state],
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(spec).map(([name, [shape, dtype]]) => [name, zeros(shape, dtype)]),
  ) as unknown as SsmDecodeStepInputs & Record<string, Tensor>;
}

describe('ssmDecodeStep inputs', () => {
  beforeAll(() => useBackend(createReferenceBackend()));

  it('takes 16-bit activations with f32 states; y follows the gate (activations behind silu, f32 without)', () => {
    tidy(() => {
      const gated = ssmDecodeStep(inputs('bf16'));
      expect([gated.y.dtype, gated.convState.dtype, gated.ssmState.dtype]).toEqual(['bf16', 'bf16', 'f32']);
      expect(gated.y.shape).toEqual([2, 12]);
      expect(ssmDecodeStep(inputs('f16'), { gate: 'none' }).y.dtype).toBe('f32');
    });
  });

  it('refuses a packed projection of the wrong width, naming the width it wants', () => {
    tidy(() => {
      expect(() => ssmDecodeStep(inputs('f32', { zxbcdt: [[2, 47], 'f32'] }))).toThrow(
        /ssmDecodeStep: zxbcdt must be f32\[2, 48\], got f32\[2, 47\]/,
      );
    });
  });

  it('refuses conv channels that are not H·P + 2·G·N with G dividing H', () => {
    tidy(() => {
      // 27 = 12 + 2·G·5 has no integer G; 42 = 12 + 2·3·5 gives G = 3, which does not divide H = 4.
      const odd = inputs('f32', { convState: [[2, 27, 4], 'f32'], convWeight: [[27, 4], 'f32'] });
      expect(() => ssmDecodeStep(odd)).toThrow(/convState's 27 channels must be H·P \+ 2·G·N = 12 \+ 2·G·5/);
      const three = inputs('f32', { convState: [[2, 42, 4], 'f32'], convWeight: [[42, 4], 'f32'] });
      expect(() => ssmDecodeStep(three)).toThrow(/G dividing H = 4 .*G would be 3/);
    });
  });

  it("takes a 16-bit state in the activations' dtype, and returns the new state in it (y as with an f32 state)", () => {
    tidy(() => {
      for (const dtype of ['bf16', 'f16'] as const) {
        const gated = ssmDecodeStep(inputs(dtype, { ssmState: [[2, 4, 3, 5], dtype] }));
        expect([gated.y.dtype, gated.convState.dtype, gated.ssmState.dtype]).toEqual([dtype, dtype, dtype]);
        const plain = ssmDecodeStep(inputs(dtype, { ssmState: [[2, 4, 3, 5], dtype] }), { gate: 'none' });
        expect([plain.y.dtype, plain.ssmState.dtype]).toEqual(['f32', dtype]);
      }
    });
  });

  it("refuses a 16-bit state of another dtype than the activations', naming both", () => {
    tidy(() => {
      expect(() => ssmDecodeStep(inputs('f16', { ssmState: [[2, 4, 3, 5], 'bf16'] }))).toThrow(
        /ssmDecodeStep: ssmState must be f32\[2, 4, 3, 5\] or f16\[2, 4, 3, 5\] \(a 16-bit state has the activations' dtype, f16\), got bf16\[2, 4, 3, 5\]/,
      );
      expect(() => ssmDecodeStep(inputs('f32', { ssmState: [[2, 4, 3, 5], 'f16'] }))).toThrow(
        /ssmDecodeStep: ssmState must be f32\[2, 4, 3, 5\] \(a 16-bit state needs f16\/bf16 activations of its dtype; these are f32\), got f16\[2, 4, 3, 5\]/,
      );
      expect(() => ssmDecodeStep(inputs('f64', { ssmState: [[2, 4, 3, 5], 'bf16'] }))).toThrow(
        /ssmState must be f64\[2, 4, 3, 5\] \(a 16-bit state needs .* these are f64\), got bf16/,
      );
      expect(() => ssmDecodeStep(inputs('bf16', { ssmState: [[2, 4, 3, 5], 'f64'] }))).toThrow(
        /ssmState must be f32\[2, 4, 3, 5\] or bf16\[2, 4, 3, 5\] .*, got f64\[2, 4, 3, 5\]/,
      );
    });
  });

  it('refuses states and parameters in the wrong dtype, and a conv weight of another width', () => {
    tidy(() => {
      // The parameters stay in the state dtype with a 16-bit state.
      const sixteen: Partial<Record<keyof SsmDecodeStepInputs, [number[], DType]>> = {
        ssmState: [[2, 4, 3, 5], 'bf16'],
      };
      expect(() => ssmDecodeStep(inputs('bf16', { ...sixteen, dtBias: [[4], 'bf16'] }))).toThrow(
        /dtBias must be f32\[4\], got bf16/,
      );
      expect(() => ssmDecodeStep(inputs('bf16', { ...sixteen, A: [[4], 'bf16'] }))).toThrow(/A must be f32\[4\]/);
      expect(() => ssmDecodeStep(inputs('bf16', { dtBias: [[4], 'bf16'] }))).toThrow(/dtBias must be f32\[4\]/);
      expect(() => ssmDecodeStep(inputs('f32', { convWeight: [[32, 3], 'f32'] }))).toThrow(
        /convWeight must be f32\[32, 4\], got f32\[32, 3\]/,
      );
      expect(() => ssmDecodeStep(inputs('f32', { convBias: [[32], 'bf16'] }))).toThrow(/convBias must be f32\[32\]/);
    });
  });

  it('refuses a time-step limit that is not 0 ≤ min ≤ max', () => {
    tidy(() => {
      expect(() => ssmDecodeStep(inputs('f32'), { timeStepLimit: [0.5, 0.1] })).toThrow(
        /timeStepLimit must be \[min, max\] with 0 ≤ min ≤ max, got \[0.5, 0.1\]/,
      );
    });
  });
});

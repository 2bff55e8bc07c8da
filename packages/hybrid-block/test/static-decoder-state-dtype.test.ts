/**
 * StaticDecoder's `ssmStateDtype: 'activations'`: a bf16 model's SSM states carried in bf16, as transformers keeps
 * `ssm_states` (the decode kernels widen the state on load and round the new state once on store). On the reference
 * backend: the states are bf16; the fused kernels give the bits of core's composition (widen, the f32 step, round);
 * the logits stay within the bf16 bound of the f32-state decoder's from the same prefill (only the state's rounding
 * differs); an f32 model keeps f32 states whatever the option says.
 */
import '@falcon-h1/backend-reference';
import { dispose, memory, setFallbackPolicy, type Tensor } from '@falcon-h1/core-tensor';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FalconH1ForCausalLM, randomFalconH1Parameters, StaticDecoder } from '../src/index.js';
import { relL2 } from './fixtures.js';
import { configFor } from './tiny-config.js';

const PROMPTS = [
  [3, 17, 5, 29, 8, 1, 22],
  [11, 2, 33],
];
const STEPS = 5;
const maxLength = 7 + STEPS + 1;

const values = (t: Tensor): Float32Array => {
  const v = Float32Array.from(t.dataSync() as ArrayLike<number>);
  expect(v.every(Number.isFinite), 'finite values').toBe(true);
  return v;
};

function bf16Model(layout: 'SA_M' | 'SAM'): FalconH1ForCausalLM {
  const config = configFor(layout, false, { mamba_rms_norm: false });
  return new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 31, dtype: 'bf16' }));
}

describe("StaticDecoder's 16-bit SSM state", () => {
  for (const layout of ['SA_M', 'SAM'] as const) {
    it(`${layout}, bf16 model, B = 2: bf16 states, the composition's bits, logits within 1e-2 of the f32 state's`, () => {
      const model = bf16Model(layout);
      const before = memory().numTensors;
      const native = new StaticDecoder(model, PROMPTS, { maxLength, ssmStateDtype: 'activations' });
      const f32State = new StaticDecoder(model, PROMPTS, { maxLength });
      expect(native.ssmStateDtype).toBe('bf16');
      expect(f32State.ssmStateDtype).toBe('f32');
      // The same decoder through core's compositions: the kernels that carry the state are not used natively.
      setFallbackPolicy(['ParallelMixersDecodeStep', 'SsmDecodeStepInPlace', 'SsmDecodeStep']);
      onTestFinished(() => setFallbackPolicy('none'));
      const composed = new StaticDecoder(model, PROMPTS, { maxLength, ssmStateDtype: 'activations' });
      setFallbackPolicy('none');
      for (let s = 0; s < STEPS; s++) {
        const got = values(native.step().logits);
        setFallbackPolicy(['ParallelMixersDecodeStep', 'SsmDecodeStepInPlace', 'SsmDecodeStep']);
        const want = values(composed.step().logits);
        setFallbackPolicy('none');
        expect(new Uint32Array(got.buffer), `step ${s}: the composition's bits`).toEqual(new Uint32Array(want.buffer));
        const exact = values(f32State.step().logits);
        expect(relL2(got, exact), `step ${s}: against the f32 state`).toBeLessThan(1e-2);
      }
      for (const d of [native, composed, f32State]) d.dispose();
      expect(memory().numTensors).toBe(before);
      dispose([...model.parameters.values()]);
    });
  }

  it('an f32 model keeps f32 states', () => {
    const config = configFor('SA_M', false, { mamba_rms_norm: false });
    const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 31, dtype: 'f32' }));
    const decoder = new StaticDecoder(model, PROMPTS, { maxLength, ssmStateDtype: 'activations' });
    expect(decoder.ssmStateDtype).toBe('f32');
    decoder.step();
    decoder.dispose();
    dispose([...model.parameters.values()]);
  });
});

/**
 * The decode step from a projection the caller made (`stepProjected`: the packed in_proj columns of a wider row, at
 * an offset — the decoder layer stacks attention's q|k|v after them) and on a state updated in place
 * (`inPlaceMambaState`: core's SsmDecodeStepInPlace writes the next state into the state's two Variables, natively
 * or through its composition): the same gated output and next state as `stepGated` on a plain state, step after
 * step from a prefilled state, in every gating mode, f64 on the reference backend; `inPlaceStepInputs` hands that
 * in-place step (plain gate only) to a caller's kernel, which then gives the same. Constants without in_proj
 * (`projectInput: false`), an in-place state without constants and a row too narrow are refused with clear errors.
 */
import '@falcon-h1/backend-reference';
import {
  concat,
  dispatchCounts,
  dispose,
  linear,
  memory,
  resetDispatchCounts,
  reshape,
  setFallbackPolicy,
  ssmDecodeStepInPlace,
  type Tensor,
  tidy,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  disposeMixerDecodeConstants,
  inPlaceMambaState,
  type MambaLayerState,
  mixerDecodeConstants,
  mixerSizes,
} from '../src/index.js';
import {
  baseConfig,
  COLUMNS_AFTER,
  COLUMNS_BEFORE,
  projectedVariants,
  randomMixer,
  rng,
  uniformTensor as uniform,
  hostValues as values,
} from './random-mixer.js';
import { relL2 } from './rel-l2.js';

describe('FalconH1Mixer.stepProjected', () => {
  for (const [label, overrides] of projectedVariants) {
    for (const path of ['native', 'composition'] as const) {
      it(`at an offset of a wider row, plain and in-place states = stepGated: ${label} (SsmDecodeStepInPlace ${path})`, () => {
        setFallbackPolicy(path === 'native' ? 'none' : ['SsmDecodeStepInPlace']);
        onTestFinished(() => setFallbackPolicy('none'));
        const config = { ...baseConfig, ...overrides };
        const { mixer, variables } = randomMixer(config, 41, 'f64');
        const [b, d] = [3, config.hidden_size];
        const next = rng(43);
        const before = memory().numTensors;
        const full = mixerDecodeConstants(mixer, 'f64', 1, { projectOutput: false });
        const open = mixerDecodeConstants(mixer, 'f64', 1, { projectOutput: false, projectInput: false });
        expect(open.inProj).toBeUndefined();
        // The state after a 3-token prefill, as a plain state and as two Variables updated in place.
        const prefilled = tidy(() => mixer.forward(uniform(next, [b, 3, d]), { returnState: true }).state!);
        const own = (t: Tensor, name: string): Variable => variable(t, { name, trainable: false });
        const inPlace = inPlaceMambaState(own(prefilled.convState, 'conv'), own(prefilled.ssmState, 'ssm'));
        tidy(() => {
          let plain: MambaLayerState = prefilled;
          for (let s = 0; s < 3; s++) {
            const u = uniform(next, [b, d]);
            const want = mixer.stepGated(u, plain, full);
            const zxbcdt = linear(u, full.inProj!.weight, full.inProj!.bias);
            const row = concat([uniform(next, [b, COLUMNS_BEFORE]), zxbcdt, uniform(next, [b, COLUMNS_AFTER])], 1);
            const functional = mixer.stepProjected(row, plain, open, { offset: COLUMNS_BEFORE });
            expect(relL2(values(functional.gated), values(want.gated))).toBeLessThan(1e-12);
            resetDispatchCounts();
            const got = mixer.stepProjected(row, inPlace, open, { offset: COLUMNS_BEFORE });
            expect(dispatchCounts().SsmDecodeStepInPlace).toEqual(
              path === 'native' ? { native: 1, fallback: 0 } : { native: 0, fallback: 1 },
            );
            // (The composition runs the functional SsmDecodeStep and writes its states into the Variables.)
            if (path === 'native') expect(dispatchCounts().SsmDecodeStep).toBeUndefined();
            expect(got.state).toBe(inPlace);
            expect(got.gated.shape).toEqual([b, config.mamba_d_ssm]);
            expect(relL2(values(got.gated), values(want.gated))).toBeLessThan(1e-12);
            for (const key of ['convState', 'ssmState'] as const) {
              expect(relL2(values(inPlace[key]), values(want.state[key])), key).toBeLessThan(1e-12);
              expect(relL2(values(functional.state[key]), values(want.state[key])), key).toBeLessThan(1e-12);
            }
            plain = want.state;
          }
        });
        disposeMixerDecodeConstants(full);
        disposeMixerDecodeConstants(open);
        dispose([prefilled.convState, prefilled.ssmState, inPlace.convState, inPlace.ssmState]);
        expect(memory().numTensors).toBe(before);
        dispose(variables);
      });
    }
  }

  it('inPlaceStepInputs hands over the in-place step with the plain gate whole, and nothing else', () => {
    const plainGate = { ...baseConfig, mamba_rms_norm: false };
    const { mixer, variables } = randomMixer(plainGate, 59, 'f64');
    const gatedNorm = randomMixer(baseConfig, 61, 'f64');
    const [b, d] = [2, plainGate.hidden_size];
    const width = mixerSizes(plainGate).projectionWidth;
    const next = rng(67);
    const open = mixerDecodeConstants(mixer, 'f64', 1, { projectOutput: false, projectInput: false });
    const full = mixerDecodeConstants(mixer, 'f64', 1, { projectOutput: false });
    const normOpen = mixerDecodeConstants(gatedNorm.mixer, 'f64', 1, { projectOutput: false, projectInput: false });
    tidy(() => {
      const state = mixer.forward(uniform(next, [b, 2, d]), { returnState: true }).state!;
      const inPlace = inPlaceMambaState(variable(state.convState), variable(state.ssmState));
      const u = uniform(next, [b, d]);
      const row = concat([uniform(next, [b, COLUMNS_BEFORE]), linear(u, full.inProj!.weight, full.inProj!.bias)], 1);
      // A functional state returns new states, the gated norm has kernels of its own after the step: not whole.
      expect(mixer.inPlaceStepInputs(row, state, open, { offset: COLUMNS_BEFORE })).toBeUndefined();
      expect(gatedNorm.mixer.inPlaceStepInputs(row, inPlace, normOpen, { offset: COLUMNS_BEFORE })).toBeUndefined();
      const step = mixer.inPlaceStepInputs(row, inPlace, open, { offset: COLUMNS_BEFORE })!;
      expect(step.inputs.convState).toBe(inPlace.convState);
      expect(step.inputs.ssmState).toBe(inPlace.ssmState);
      expect(step.options).toEqual({ timeStepLimit: plainGate.time_step_limit, offset: COLUMNS_BEFORE });
      // The kernel on what it handed over (the gate y·silu(z)) = stepGated, the next state in the Variables.
      const want = mixer.stepGated(u, state, full);
      const got = ssmDecodeStepInPlace({ ...step.inputs, zxbcdt: row }, { ...step.options, gate: 'silu' });
      expect(relL2(values(got), values(want.gated))).toBeLessThan(1e-12);
      for (const key of ['convState', 'ssmState'] as const) {
        expect(relL2(values(inPlace[key]), values(want.state[key])), key).toBeLessThan(1e-12);
      }
      expect(() => mixer.inPlaceStepInputs(uniform(next, [b, width]), inPlace, open, { offset: 1 })).toThrow(
        /FalconH1Mixer.inPlaceStepInputs: row must be \[B, W\] with W ≥ offset 1/,
      );
      dispose([inPlace.convState, inPlace.ssmState]);
    });
    for (const c of [open, full, normOpen]) disposeMixerDecodeConstants(c);
    dispose([...variables, ...gatedNorm.variables]);
  });

  it('refuses constants without in_proj where it projects, an in-place state without constants, a narrow row', () => {
    const config = baseConfig;
    const { mixer, variables } = randomMixer(config, 47, 'f64');
    const [b, d] = [2, config.hidden_size];
    const open = mixerDecodeConstants(mixer, 'f64', 1, { projectOutput: false, projectInput: false });
    const next = rng(53);
    tidy(() => {
      const state = mixer.forward(uniform(next, [b, 2, d]), { returnState: true }).state!;
      const u = reshape(uniform(next, [b, d]), [b, 1, d]);
      expect(() => mixer.stepGated(u, state, open)).toThrow(
        /leave in_proj to the caller \(projectInput: false\): use stepProjected/,
      );
      const inPlace = inPlaceMambaState(variable(state.convState), variable(state.ssmState));
      expect(() => mixer.step(u, inPlace)).toThrow(/a state updated in place needs decode constants/);
      const width = mixerSizes(config).projectionWidth;
      expect(() => mixer.stepProjected(uniform(next, [b, width]), state, open, { offset: 1 })).toThrow(
        new RegExp(
          `row must be \\[B, W\\] with W ≥ offset 1 \\+ ${width} \\(in_proj's width\\), got \\[2, ${width}\\]`,
        ),
      );
      dispose([inPlace.convState, inPlace.ssmState]);
    });
    disposeMixerDecodeConstants(open);
    dispose(variables);
  });
});

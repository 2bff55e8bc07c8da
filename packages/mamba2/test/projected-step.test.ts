/**
 * The decode step from a projection the caller made (`stepProjected`: the packed in_proj columns of a wider row, at
 * an offset — the decoder layer stacks attention's q|k|v after them) and on a state updated in place
 * (`inPlaceMambaState`: core's SsmDecodeStepInPlace writes the next state into the state's two Variables, natively
 * or through its composition): the same gated output and next state as `stepGated` on a plain state, step after
 * step from a prefilled state, in every gating mode, f64 on the reference backend. Constants without in_proj
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
  type Tensor,
  tensor,
  tidy,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  disposeMixerDecodeConstants,
  type FalconH1MixerConfig,
  inPlaceMambaState,
  type MambaLayerState,
  mixerDecodeConstants,
  mixerSizes,
} from '../src/index.js';
import { baseConfig, randomMixer, rng } from './random-mixer.js';
import { relL2 } from './rel-l2.js';

const variants: Array<[string, Partial<FalconH1MixerConfig>]> = [
  ['gated norm after the gate, 2 groups', {}],
  ['gated norm before the gate', { mamba_norm_before_gate: true }],
  ['plain y·silu(z), 1 group, no biases', { mamba_rms_norm: false, mamba_n_groups: 1, mamba_proj_bias: false }],
];

const values = (t: Tensor): Float64Array => Float64Array.from(t.dataSync() as ArrayLike<number>);
const uniform = (next: () => number, shape: number[]): Tensor =>
  tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * next() - 1),
    shape,
    'f64',
  );

// Columns of other projections on either side of in_proj's in the row the step reads.
const BEFORE = 3;
const AFTER = 5;

describe('FalconH1Mixer.stepProjected', () => {
  for (const [label, overrides] of variants) {
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
            const row = concat([uniform(next, [b, BEFORE]), zxbcdt, uniform(next, [b, AFTER])], 1);
            const functional = mixer.stepProjected(row, plain, open, { offset: BEFORE });
            expect(relL2(values(functional.gated), values(want.gated))).toBeLessThan(1e-12);
            resetDispatchCounts();
            const got = mixer.stepProjected(row, inPlace, open, { offset: BEFORE });
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

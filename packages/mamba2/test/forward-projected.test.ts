/**
 * The whole-sequence mixer from a projection the caller made (`forwardProjected`: the packed, pre-scaled in_proj
 * columns of a wider row at an offset, the decoder layer's prefill with inference constants) against `forward`:
 * out_proj(gated) equals forward's output, and the returned state its state — from zeros or from a previous call's
 * state, with document ids, every gating mode and a time-step limit, f64 on the reference backend. A projection too
 * narrow is refused with a clear error.
 */
import '@falcon-h1/backend-reference';
import { concat, linear, tensor, tidy } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import {
  disposeMixerDecodeConstants,
  type FalconH1MixerConfig,
  type MambaLayerState,
  mixerDecodeConstants,
  mixerSizes,
  scaledInProj,
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

const variants: Array<[string, Partial<FalconH1MixerConfig>]> = [
  ...projectedVariants,
  ['a time-step limit', { time_step_limit: [0.01, 0.5] }],
];

describe('FalconH1Mixer.forwardProjected', () => {
  for (const [label, overrides] of variants) {
    it(`out_proj of its gated output and its states = forward's, two calls with document ids: ${label}`, () => {
      const config = { ...baseConfig, ...overrides };
      const { mixer, variables } = randomMixer(config, 31);
      const constants = mixerDecodeConstants(mixer, 'f64', 1, { projectOutput: false });
      const next = rng(7);
      const [b, t] = [2, 7];
      tidy(() => {
        const seqIdx = tensor([1, 1, 1, 2, 2, 2, 2, 5, 5, 5, 5, 5, 5, 5], [b, t], 'i32');
        const inProj = scaledInProj(mixer, 'f64');
        const width = mixerSizes(config).projectionWidth;
        let plainState: MambaLayerState | undefined;
        let projectedState: MambaLayerState | undefined;
        for (const call of [0, 1]) {
          const u = uniform(next, [b, t, config.hidden_size]);
          const row = concat(
            [
              uniform(next, [b, t, COLUMNS_BEFORE]),
              linear(u, inProj.weight, inProj.bias),
              uniform(next, [b, t, COLUMNS_AFTER]),
            ],
            -1,
          );
          expect(row.shape[2]).toBe(COLUMNS_BEFORE + width + COLUMNS_AFTER);
          const want = mixer.forward(u, { seqIdx, state: plainState, returnState: true });
          const got = mixer.forwardProjected(row, constants, {
            offset: COLUMNS_BEFORE,
            seqIdx,
            state: projectedState,
            returnState: true,
          });
          const out = linear(got.gated, mixer.out_proj.weight, mixer.out_proj.bias);
          expect(relL2(values(out), values(want.out)), `call ${call}: out`).toBeLessThan(1e-12);
          expect(relL2(values(got.state!.convState), values(want.state!.convState))).toBeLessThan(1e-12);
          expect(relL2(values(got.state!.ssmState), values(want.state!.ssmState))).toBeLessThan(1e-12);
          plainState = want.state;
          projectedState = got.state;
        }
      });
      disposeMixerDecodeConstants(constants);
      for (const v of variables) v.dispose();
    });
  }

  it('refuses a projection narrower than offset + in_proj width', () => {
    const { mixer, variables } = randomMixer(baseConfig, 3);
    const constants = mixerDecodeConstants(mixer, 'f64');
    const width = mixerSizes(baseConfig).projectionWidth;
    tidy(() => {
      const row = tensor(new Float64Array(2 * width), [1, 2, width], 'f64');
      expect(() => mixer.forwardProjected(row, constants, { offset: 1 })).toThrow(
        new RegExp(`forwardProjected: projected must be \\[B, T, W\\] with W ≥ offset 1 \\+ ${width}`),
      );
    });
    disposeMixerDecodeConstants(constants);
    for (const v of variables) v.dispose();
  });
});

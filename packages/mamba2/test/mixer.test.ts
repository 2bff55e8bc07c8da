/**
 * FalconH1Mixer against its definition (the recurrence, computed naively on the host in float64) on awkward
 * shapes, in every gating mode; decoding step by step, and a prefill continued from a state, against one pass;
 * packed documents against each document alone.
 */
import '@falcon-h1/backend-reference';
import {
  cast,
  concat,
  dispatchCounts,
  dispose,
  linear,
  memory,
  noGrad,
  resetDispatchCounts,
  sliceAxis,
  type Tensor,
  tensor,
  tidy,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import {
  computeMupVector,
  disposeMixerDecodeConstants,
  emptyMambaState,
  type FalconH1MixerConfig,
  mixerDecodeConstants,
  mixerSizes,
} from '../src/index.js';
import { baseConfig, mixerOf, naiveMixer, randomMixer, rng } from './random-mixer.js';
import { relL2 } from './rel-l2.js';

function randomInput(b: number, t: number, d: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: b * t * d }, () => 2 * next() - 1);
}

const variants: Array<[string, Partial<FalconH1MixerConfig>]> = [
  ['gated norm after the gate, 2 groups', {}],
  ['gated norm before the gate', { mamba_norm_before_gate: true }],
  [
    'plain y·silu(z), 1 group, no biases',
    {
      mamba_rms_norm: false,
      mamba_n_groups: 1,
      mamba_proj_bias: false,
      projectors_bias: false,
      mamba_conv_bias: false,
    },
  ],
];

describe('FalconH1Mixer', () => {
  it('lays the μP vector over z, x, B, C, dt (as float32 values)', () => {
    const v = computeMupVector(baseConfig);
    const { dSsm, groupsTimesState, projectionWidth } = mixerSizes(baseConfig);
    expect(v.length).toBe(projectionWidth);
    expect(v[0]).toBe(Math.fround(0.9));
    expect(v[dSsm]).toBe(Math.fround(1.1));
    expect(v[2 * dSsm]).toBe(Math.fround(0.7));
    expect(v[2 * dSsm + groupsTimesState]).toBe(Math.fround(1.3));
    expect(v[projectionWidth - 1]).toBe(Math.fround(0.8));
  });

  for (const [label, overrides] of variants) {
    it(`matches the recurrence: ${label} (T=13, chunk 5: a partial last chunk)`, () => {
      const config = { ...baseConfig, ...overrides };
      const { mixer, host, variables } = randomMixer(config, 7);
      const [b, t, d] = [2, 13, config.hidden_size];
      const u = randomInput(b, t, d, 11);
      const got = tidy(() => mixer.forward(tensor(u, [b, t, d], 'f64')).out).dataSync();
      for (let r = 0; r < b; r++) {
        const want = naiveMixer(config, host, u.subarray(r * t * d, (r + 1) * t * d), t);
        expect(relL2(got.subarray(r * t * d, (r + 1) * t * d) as Float64Array, want)).toBeLessThan(1e-12);
      }
      dispose(variables);
    });
  }

  it('decodes token by token, and continues a prefill from its state, exactly as one pass', () => {
    const config = baseConfig;
    const { mixer, variables } = randomMixer(config, 3);
    const [b, t, d] = [2, 11, config.hidden_size];
    const u = randomInput(b, t, d, 5);
    const before = memory().numTensors;
    tidy(() => {
      const x = tensor(u, [b, t, d], 'f64');
      const full = mixer.forward(x).out.dataSync();
      // Prefill 6 tokens, then 2 more as a second prefill from the state, then one token at a time.
      const first = mixer.forward(sliceTokens(x, 0, 6), { returnState: true });
      const second = mixer.forward(sliceTokens(x, 6, 2), { state: first.state, returnState: true });
      let state = second.state!;
      const outs: Tensor[] = [first.out, second.out];
      for (let s = 8; s < t; s++) {
        const step = mixer.step(sliceTokens(x, s, 1), state);
        outs.push(step.out);
        state = step.state;
      }
      expect(relL2(concat(outs, 1).dataSync() as Float64Array, full as Float64Array)).toBeLessThan(1e-12);
      // Decoding from an empty state is the same as a prefill of one token.
      const fromEmpty = mixer.step(sliceTokens(x, 0, 1), emptyMambaState(config, b, 'f64')).out.dataSync();
      expect(relL2(fromEmpty as Float64Array, firstTokens(full as Float64Array, b, t, d))).toBeLessThan(1e-12);
    });
    expect(memory().numTensors).toBe(before);
    dispose(variables);
  });

  for (const [label, overrides] of variants) {
    for (const dtype of ['f64', 'f32'] as const) {
      it(`decodes with precomputed decode constants as without, times the output multiplier: ${label}, ${dtype}`, () => {
        const config = { ...baseConfig, ...overrides };
        const { mixer, variables } = randomMixer(config, 13, dtype);
        const [b, t, d] = [2, 4, config.hidden_size];
        const u = randomInput(b, t, d, 17);
        const before = memory().numTensors;
        const constants = mixerDecodeConstants(mixer, dtype, 0.6);
        tidy(() => {
          const x = tensor(u, [b, t, d], dtype);
          let plain = emptyMambaState(config, b, dtype);
          let folded = emptyMambaState(config, b, dtype);
          for (let s = 0; s < t; s++) {
            const want = mixer.step(sliceTokens(x, s, 1), plain);
            const got = mixer.step(sliceTokens(x, s, 1), folded, constants);
            const wantOut = Float64Array.from(want.out.dataSync() as ArrayLike<number>, (v) => 0.6 * v);
            // f64: the same arithmetic up to rounding; f32: the μP products are rounded once (c·m) instead of twice.
            const bound = dtype === 'f64' ? 1e-12 : 1e-5;
            expect(relL2(got.out.dataSync() as ArrayLike<number>, wantOut)).toBeLessThan(bound);
            const wantState = Float64Array.from(want.state.ssmState.dataSync() as ArrayLike<number>);
            expect(relL2(got.state.ssmState.dataSync() as ArrayLike<number>, wantState)).toBeLessThan(bound);
            plain = want.state;
            folded = got.state;
          }
        });
        disposeMixerDecodeConstants(constants);
        expect(memory().numTensors).toBe(before);
        dispose(variables);
      });
    }
  }

  it('decodes with constants in one MatMul and one fused SsmDecodeStep, time-step clamp included, as without', () => {
    // A clamp that bites (dt of the random mixer spans it) and the plain gate: the fused kernel does all but in_proj.
    const config = { ...baseConfig, mamba_rms_norm: false, time_step_limit: [0.3, 0.9] as const };
    const { mixer, variables } = randomMixer(config, 29, 'f64');
    const [b, t, d] = [3, 3, config.hidden_size];
    const constants = mixerDecodeConstants(mixer, 'f64', 1);
    tidy(() => {
      const x = tensor(randomInput(b, t, d, 31), [b, t, d], 'f64');
      let plain = emptyMambaState(config, b, 'f64');
      let folded = emptyMambaState(config, b, 'f64');
      for (let s = 0; s < t; s++) {
        const want = mixer.step(sliceTokens(x, s, 1), plain);
        resetDispatchCounts();
        const got = mixer.step(sliceTokens(x, s, 1), folded, constants);
        const counts = dispatchCounts();
        expect(counts.SsmDecodeStep).toEqual({ native: 1, fallback: 0 });
        expect(counts.SsmStep).toBeUndefined();
        expect(relL2(got.out.dataSync() as Float64Array, want.out.dataSync() as Float64Array)).toBeLessThan(1e-12);
        for (const key of ['convState', 'ssmState'] as const) {
          const wantState = want.state[key].dataSync() as Float64Array;
          expect(relL2(got.state[key].dataSync() as Float64Array, wantState)).toBeLessThan(1e-12);
        }
        plain = want.state;
        folded = got.state;
      }
    });
    disposeMixerDecodeConstants(constants);
    dispose(variables);
  });

  for (const [label, overrides] of variants) {
    it(`stepGated leaves out_proj to the caller: out_proj(gated) = the step's output, f64: ${label}`, () => {
      const config = { ...baseConfig, ...overrides };
      const { mixer, variables } = randomMixer(config, 13, 'f64');
      const [b, d] = [2, config.hidden_size];
      const before = memory().numTensors;
      const open = mixerDecodeConstants(mixer, 'f64', 1, { projectOutput: false });
      expect(open.out).toBeUndefined();
      tidy(() => {
        const x = tensor(randomInput(b, 1, d, 23), [b, 1, d], 'f64');
        const state = emptyMambaState(config, b, 'f64');
        const want = mixer.step(x, state);
        const gated = mixer.stepGated(x, state, open);
        expect(gated.gated.shape).toEqual([b, 1, config.mamba_d_ssm]);
        const got = linear(gated.gated, mixer.out_proj.weight, mixer.out_proj.bias);
        expect(relL2(got.dataSync() as Float64Array, want.out.dataSync() as Float64Array)).toBeLessThan(1e-12);
        expect(
          relL2(gated.state.ssmState.dataSync() as Float64Array, want.state.ssmState.dataSync() as Float64Array),
        ).toBeLessThan(1e-12);
        expect(() => mixer.step(x, state, open)).toThrow(/leave out_proj to the caller: use stepGated/);
      });
      disposeMixerDecodeConstants(open);
      expect(memory().numTensors).toBe(before);
      dispose(variables);
    });
  }

  for (const [label, overrides] of variants) {
    it(`decodes bf16 with decode constants within bf16 rounding of the f64 mixer on the same weights: ${label}`, () => {
      // The constants move where rounding happens (ssm_in_multiplier with the μP vector folded into the bf16
      // in_proj, the output multiplier into out_proj): the step stays within the bf16 tolerance of the f64
      // computation on the same (bf16-valued) weights, as the step without constants does.
      const config = { ...baseConfig, ...overrides };
      const low = randomMixer(config, 13, 'bf16');
      const byName = new Map(low.variables.map((v) => [v.name, v]));
      const wide = noGrad(() => mixerOf(config, (name) => variable(cast(byName.get(name)!, 'f64'), { name })));
      const [b, t, d] = [2, 4, config.hidden_size];
      const u = randomInput(b, t, d, 17);
      const constants = mixerDecodeConstants(low.mixer, 'bf16', 0.6);
      tidy(() => {
        const x16 = tensor(u, [b, t, d], 'bf16');
        const x64 = tensor(Float64Array.from(x16.dataSync() as ArrayLike<number>), [b, t, d], 'f64');
        let state16 = emptyMambaState(config, b, 'bf16');
        let state64 = emptyMambaState(config, b, 'f64');
        for (let s = 0; s < t; s++) {
          const got = low.mixer.step(sliceTokens(x16, s, 1), state16, constants);
          const want = wide.mixer.step(sliceTokens(x64, s, 1), state64);
          const wantOut = Float64Array.from(want.out.dataSync() as Float64Array, (v) => 0.6 * v);
          expect(relL2(got.out.dataSync() as ArrayLike<number>, wantOut)).toBeLessThan(1e-2);
          state16 = got.state;
          state64 = want.state;
        }
      });
      disposeMixerDecodeConstants(constants);
      dispose([...low.variables, ...wide.variables]);
    });
  }

  it('restarts the conv and the SSM at document boundaries (inside and between chunks, a 1-token document)', () => {
    const config = { ...baseConfig, mamba_chunk_size: 4 };
    const { mixer, host, variables } = randomMixer(config, 9);
    const d = config.hidden_size;
    const rows = [
      [3, 1, 6, 4], // boundaries at 3 (inside chunk 0), 4 (between chunks), 10 (inside chunk 2)
      [8, 6], // a boundary between chunks only
    ];
    const t = 14;
    const u = randomInput(rows.length, t, d, 21);
    const seq: number[] = rows.flatMap((lengths) => lengths.flatMap((len, i) => new Array<number>(len).fill(i)));
    const got = tidy(
      () => mixer.forward(tensor(u, [rows.length, t, d], 'f64'), { seqIdx: tensor(seq, [rows.length, t], 'i32') }).out,
    ).dataSync();
    rows.forEach((lengths, r) => {
      let start = 0;
      for (const len of lengths) {
        const alone = naiveMixer(config, host, u.subarray((r * t + start) * d, (r * t + start + len) * d), len);
        const packed = (got as Float64Array).subarray((r * t + start) * d, (r * t + start + len) * d);
        expect(relL2(packed, alone)).toBeLessThan(1e-12);
        start += len;
      }
      // The naive reference with document ids agrees too.
      const whole = naiveMixer(config, host, u.subarray(r * t * d, (r + 1) * t * d), t, seq.slice(r * t, (r + 1) * t));
      expect(relL2((got as Float64Array).subarray(r * t * d, (r + 1) * t * d), whole)).toBeLessThan(1e-12);
    });
    dispose(variables);
  });

  it('after a packed prefill, decoding continues the last document alone', () => {
    const config = baseConfig;
    const { mixer, host, variables } = randomMixer(config, 4);
    const d = config.hidden_size;
    const u = randomInput(1, 12, d, 8);
    const seq = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]; // the last document starts 3 tokens before the end
    const got = tidy(() => {
      const x = tensor(u, [1, 12, d], 'f64');
      const pre = mixer.forward(sliceTokens(x, 0, 11), {
        seqIdx: tensor(seq.slice(0, 11), [1, 11], 'i32'),
        returnState: true,
      });
      return mixer.step(sliceTokens(x, 11, 1), pre.state!).out;
    }).dataSync();
    const alone = naiveMixer(config, host, u.subarray(9 * d, 12 * d), 3);
    expect(relL2(got as Float64Array, alone.subarray(2 * d))).toBeLessThan(1e-12);
    dispose(variables);
  });

  it('keeps 16-bit activations in their dtype and the SSM state in f32', () => {
    const { mixer, variables } = randomMixer(baseConfig, 2, 'bf16');
    tidy(() => {
      const x = tensor(randomInput(1, 6, baseConfig.hidden_size, 1), [1, 6, baseConfig.hidden_size], 'bf16');
      const { out, state } = mixer.forward(x, { returnState: true });
      expect(out.dtype).toBe('bf16');
      expect(state!.ssmState.dtype).toBe('f32');
      expect(state!.convState.dtype).toBe('bf16');
    });
    dispose(variables);
  });

  it('refuses hidden states of the wrong width', () => {
    const { mixer, variables } = randomMixer(baseConfig, 2);
    expect(() => tidy(() => mixer.forward(tensor(new Float64Array(2 * 5), [1, 2, 5], 'f64')))).toThrow(/\[B, T, 12\]/);
    dispose(variables);
  });
});

function sliceTokens(x: Tensor, start: number, length: number): Tensor {
  return sliceAxis(x, 1, start, length);
}

function firstTokens(full: Float64Array, b: number, t: number, d: number): Float64Array {
  const out = new Float64Array(b * d);
  for (let r = 0; r < b; r++) out.set(full.subarray(r * t * d, r * t * d + d), r * d);
  return out;
}

/** Test helpers: a mixer with seeded random parameters, and the mixer computed naively on the host in float64. */
import { type DType, type Tensor, tensor, type Variable, variable } from '@falcon-h1/core-tensor';
import { FalconH1Mixer, type FalconH1MixerConfig, mixerSizes } from '../src/index.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tensor's values as float64 host numbers. */
export const hostValues = (t: Tensor): Float64Array => Float64Array.from(t.dataSync() as ArrayLike<number>);

/** An f64 tensor of `shape` with values uniform in [−1, 1) from `next`. */
export const uniformTensor = (next: () => number, shape: number[]): Tensor =>
  tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * next() - 1),
    shape,
    'f64',
  );

export const baseConfig: FalconH1MixerConfig = {
  hidden_size: 12,
  mamba_d_ssm: 16,
  mamba_n_heads: 4,
  mamba_d_head: 4,
  mamba_n_groups: 2,
  mamba_d_state: 3,
  mamba_d_conv: 4,
  mamba_chunk_size: 5,
  mamba_conv_bias: true,
  mamba_proj_bias: true,
  projectors_bias: true,
  mamba_rms_norm: true,
  mamba_norm_before_gate: false,
  rms_norm_eps: 1e-5,
  time_step_limit: [0, Number.POSITIVE_INFINITY],
  ssm_multipliers: [0.9, 1.1, 0.7, 1.3, 0.8],
  ssm_in_multiplier: 1.25,
};

/** The mixer variants the packed-projection tests run (forward and decode step): gate order, groups, biases. */
export const projectedVariants: ReadonlyArray<[string, Partial<FalconH1MixerConfig>]> = [
  ['gated norm after the gate, 2 groups', {}],
  ['gated norm before the gate', { mamba_norm_before_gate: true }],
  ['plain y·silu(z), 1 group, no biases', { mamba_rms_norm: false, mamba_n_groups: 1, mamba_proj_bias: false }],
];

/** Columns of other projections before and after in_proj's in a packed row (the decoder layer puts q|k|v after). */
export const COLUMNS_BEFORE = 3;
export const COLUMNS_AFTER = 5;

export interface HostParameters {
  [name: string]: { shape: readonly number[]; values: Float64Array };
}

/** A mixer over random parameters (also returned as host values for the naive computation). */
export function randomMixer(
  config: FalconH1MixerConfig,
  seed: number,
  dtype: DType = 'f64',
): { mixer: FalconH1Mixer; host: HostParameters; variables: Variable[] } {
  const next = rng(seed);
  const host: HostParameters = {};
  const variables: Variable[] = [];
  const mixer = new FalconH1Mixer(config, (name, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const u = next();
      if (name === 'A_log') values[i] = Math.log(1 + 7 * u);
      else if (name === 'dt_bias') values[i] = 4 * u - 3;
      else if (name === 'D' || name === 'norm.weight') values[i] = 0.8 + 0.4 * u;
      else values[i] = (2 * u - 1) / Math.sqrt(shape[shape.length - 1]!);
    }
    host[name] = { shape, values };
    const t = tensor(values, shape, dtype);
    const v = variable(t, { name });
    t.dispose();
    variables.push(v);
    return v;
  });
  return { mixer, host, variables };
}

const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const silu = (x: number): number => x / (1 + Math.exp(-x));

/**
 * The mixer by its definition, token by token in float64 (one row of T tokens, u [T, D]): the recurrence
 * S_t = exp(dt·A)·S_{t−1} + dt·x⊗B, with the conv and the state restarting where `documents` changes.
 */
export function naiveMixer(
  config: FalconH1MixerConfig,
  p: HostParameters,
  u: Float64Array,
  t: number,
  documents?: number[],
): Float64Array {
  const {
    hidden_size: d,
    mamba_n_heads: h,
    mamba_d_head: hp,
    mamba_n_groups: g,
    mamba_d_state: n,
    mamba_d_conv: k,
  } = config;
  const { dSsm, convDim, projectionWidth: w } = mixerSizes(config);
  const gn = g * n;
  const widths = [dSsm, dSsm, gn, gn, h];
  const mult = config.ssm_multipliers.map((m) => Math.fround(m));
  const proj = new Float64Array(t * w);
  for (let s = 0; s < t; s++) {
    for (let o = 0; o < w; o++) {
      let acc = p['in_proj.bias']?.values[o] ?? 0;
      for (let i = 0; i < d; i++)
        acc += p['in_proj.weight']!.values[o * d + i]! * u[s * d + i]! * config.ssm_in_multiplier;
      let seg = 0;
      let off = o;
      while (off >= widths[seg]!) off -= widths[seg++]!;
      proj[s * w + o] = acc * mult[seg]!;
    }
  }
  const doc = (s: number): number => documents?.[s] ?? 0;
  const xbc = new Float64Array(t * convDim);
  for (let s = 0; s < t; s++) {
    for (let c = 0; c < convDim; c++) {
      let acc = p['conv1d.bias']?.values[c] ?? 0;
      for (let j = 0; j < k; j++) {
        const src = s - (k - 1) + j;
        if (src < 0 || doc(src) !== doc(s)) continue;
        acc += p['conv1d.weight']!.values[c * k + j]! * proj[src * w + dSsm + c]!;
      }
      xbc[s * convDim + c] = silu(acc);
    }
  }
  const out = new Float64Array(t * d);
  const state = new Float64Array(h * hp * n);
  for (let s = 0; s < t; s++) {
    if (s > 0 && doc(s) !== doc(s - 1)) state.fill(0);
    const y = new Float64Array(dSsm);
    for (let head = 0; head < h; head++) {
      const grp = Math.floor(head / (h / g));
      const dt = softplus(proj[s * w + 2 * dSsm + 2 * gn + head]! + p['dt_bias']!.values[head]!);
      const a = -Math.exp(p['A_log']!.values[head]!);
      for (let i = 0; i < hp; i++) {
        const x = xbc[s * convDim + head * hp + i]!;
        let acc = 0;
        for (let j = 0; j < n; j++) {
          const idx = (head * hp + i) * n + j;
          state[idx] = Math.exp(dt * a) * state[idx]! + dt * x * xbc[s * convDim + dSsm + grp * n + j]!;
          acc += state[idx]! * xbc[s * convDim + dSsm + gn + grp * n + j]!;
        }
        y[head * hp + i] = acc + p['D']!.values[head]! * x;
      }
    }
    const z = (c: number): number => proj[s * w + c]!;
    const gated = new Float64Array(dSsm);
    if (config.mamba_rms_norm) {
      const size = dSsm / g;
      for (let grp = 0; grp < g; grp++) {
        const base = config.mamba_norm_before_gate ? (c: number) => y[c]! : (c: number) => y[c]! * silu(z(c));
        let ms = 0;
        for (let c = grp * size; c < (grp + 1) * size; c++) ms += base(c) ** 2;
        const r = 1 / Math.sqrt(ms / size + config.rms_norm_eps);
        for (let c = grp * size; c < (grp + 1) * size; c++) {
          const v = base(c) * r * p['norm.weight']!.values[c]!;
          gated[c] = config.mamba_norm_before_gate ? v * silu(z(c)) : v;
        }
      }
    } else {
      for (let c = 0; c < dSsm; c++) gated[c] = y[c]! * silu(z(c));
    }
    for (let o = 0; o < d; o++) {
      let acc = p['out_proj.bias']?.values[o] ?? 0;
      for (let c = 0; c < dSsm; c++) acc += p['out_proj.weight']!.values[o * dSsm + c]! * gated[c]!;
      out[s * d + o] = acc;
    }
  }
  return out;
}

/** A mixer over parameters that `make` creates by name (e.g. another mixer's, cast to f64), with those variables. */
export function mixerOf(
  config: FalconH1MixerConfig,
  make: (name: string) => Variable,
): { mixer: FalconH1Mixer; variables: Variable[] } {
  const variables: Variable[] = [];
  const mixer = new FalconH1Mixer(config, (name) => {
    const v = make(name);
    variables.push(v);
    return v;
  });
  return { mixer, variables };
}

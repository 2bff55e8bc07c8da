/**
 * The μP vector of in_proj: one multiplier per output channel, `ssm_multipliers[0..4]` over the z, x, B, C and dt
 * segments. transformers builds it in float32 (`compute_mup_vector`), so each multiplier is rounded to f32 here too;
 * the mixer applies these same values segment by segment.
 */
import { type FalconH1MixerConfig, mixerSizes } from './mixer-config.js';

/** The five segments of in_proj's output, in order, with their widths. */
export function inProjSegments(
  config: FalconH1MixerConfig,
): Array<{ name: 'z' | 'x' | 'B' | 'C' | 'dt'; width: number }> {
  const { dSsm, groupsTimesState } = mixerSizes(config);
  return [
    { name: 'z', width: dSsm },
    { name: 'x', width: dSsm },
    { name: 'B', width: groupsTimesState },
    { name: 'C', width: groupsTimesState },
    { name: 'dt', width: config.mamba_n_heads },
  ];
}

/** The multiplier of each segment as transformers stores it (float32). */
export function segmentMultipliers(config: FalconH1MixerConfig): [number, number, number, number, number] {
  const m = config.ssm_multipliers;
  if (m.length !== 5) throw new Error(`ssm_multipliers must have 5 entries (z, x, B, C, dt), got ${m.length}`);
  return [Math.fround(m[0]!), Math.fround(m[1]!), Math.fround(m[2]!), Math.fround(m[3]!), Math.fround(m[4]!)];
}

/** The whole vector [2·d_ssm + 2GN + H] (for inspection and tests; the mixer scales segments instead). */
export function computeMupVector(config: FalconH1MixerConfig): Float32Array {
  const multipliers = segmentMultipliers(config);
  const out = new Float32Array(mixerSizes(config).projectionWidth);
  let offset = 0;
  inProjSegments(config).forEach((segment, i) => {
    out.fill(multipliers[i]!, offset, offset + segment.width);
    offset += segment.width;
  });
  return out;
}

/**
 * A parallel layout — DP × TP × PP × CP, with or without mixer parallelism — and whether this package can run it
 * for a config: the same divisibility rules the layer-shard plans enforce (attention by KV-head groups, the SSM by
 * whole gated-norm groups, MLP channels), so the planner never picks a layout the code refuses.
 */
import type { FalconH1Config } from '@falcon-h1/hybrid-block';

export interface ParallelLayout {
  readonly dp: number;
  readonly tp: number;
  readonly pp: number;
  readonly cp: number;
  /** Mixer parallelism: half of each TP group computes attention, the other half the SSM. */
  readonly mixer: boolean;
}

export function layoutName(l: ParallelLayout): string {
  return `DP ${l.dp} × TP ${l.tp} × PP ${l.pp} × CP ${l.cp}${l.mixer ? ' + MP' : ''}`;
}

/** Heads reading `kv` shared groups split over `ranks`: whole groups per rank, or whole ranks per group. */
function headsSplit(heads: number, kv: number, ranks: number): boolean {
  return ranks <= kv ? kv % ranks === 0 : ranks % kv === 0 && heads % ranks === 0;
}

/** Why `layout` cannot run this config (undefined: it can). */
export function layoutProblem(config: FalconH1Config, layout: ParallelLayout, context: number): string | undefined {
  const { tp, pp, cp, mixer } = layout;
  if (mixer && tp % 2 !== 0) return 'mixer parallelism needs an even TP degree';
  const mixerRanks = mixer ? tp / 2 : tp;
  if (!headsSplit(config.num_attention_heads, config.num_key_value_heads, mixerRanks)) {
    return `attention (${config.num_attention_heads} heads, ${config.num_key_value_heads} KV heads) does not split over ${mixerRanks} ranks`;
  }
  const g = config.mamba_n_groups;
  const ssmSplits = config.mamba_rms_norm
    ? mixerRanks <= g && g % mixerRanks === 0
    : headsSplit(config.mamba_n_heads, g, mixerRanks);
  if (!ssmSplits) return `the SSM (${g} gated-norm groups) does not split over ${mixerRanks} ranks`;
  if (config.intermediate_size % tp !== 0)
    return `${config.intermediate_size} MLP channels do not split over ${tp} ranks`;
  if (pp > config.num_hidden_layers) return `${config.num_hidden_layers} layers cannot fill ${pp} stages`;
  if (context % cp !== 0) return `context ${context} does not split over ${cp} ranks`;
  return undefined;
}

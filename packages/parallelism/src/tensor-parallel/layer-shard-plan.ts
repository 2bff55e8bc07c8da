/**
 * Which heads and channels of one decoder layer a rank computes, for tensor parallelism and the seminar's mixer
 * parallelism, and the parameter pieces that follow from it.
 *
 * Attention splits by KV-head groups: a rank takes whole KV heads with the query heads they serve; with more ranks
 * than KV heads, ranks split a KV head's query heads and each keeps a copy of that KV head (its gradient is then
 * partial). The Mamba2 mixer splits the same way by SSM groups (B and C) and heads, and every per-head or
 * per-channel piece follows the heads: the z, x, B, C and dt rows of in_proj (so the μP vector, applied per
 * segment, stays consistent), the conv channels of x, B and C, dt_bias, A_log, D, the gated norm's weight (a
 * rank holds whole norm groups, since the groups follow the SSM groups) and the columns of out_proj. The MLP splits
 * its intermediate channels. Column-parallel first projections, row-parallel last ones: each rank's branch output
 * is a partial sum over its heads, summed by one all-reduce (or reduce-scatter with sequence parallelism).
 *
 * Mixer parallelism puts attention heads and SSM heads on disjoint ranks, so that the two mixers of a layer run
 * concurrently on different GPUs: 'naive' keeps the same ranks on attention in every layer; 'interleaved'
 * swaps the two sets from one layer to the next (so that every rank alternates between the two kinds of work and
 * holds a balanced share of both kinds of parameters).
 */
import type { FalconH1Config } from '@falcon-h1/hybrid-block';
import { blockIndices, type GradientKind, type ParameterShard } from '../sharding/parameter-shard.js';

export interface LayerShardPlan {
  /** Query heads and the KV heads they read; absent: this rank computes no attention in this layer. */
  readonly attention?: { readonly queryHeads: readonly number[]; readonly kvHeads: readonly number[] };
  /** SSM heads and the groups they read; absent: no SSM. */
  readonly ssm?: { readonly heads: readonly number[]; readonly groups: readonly number[] };
  /** Intermediate channels [start, end) of the MLP. */
  readonly mlp: readonly [number, number];
}

const range = (start: number, end: number): number[] => Array.from({ length: end - start }, (_, i) => start + i);

/**
 * `heads` heads reading `kv` shared tensors (KV heads, SSM groups), split over `parts` ranks: rank `part`'s heads
 * and the shared tensors they read.
 */
function splitHeads(heads: number, kv: number, parts: number, part: number, what: string): [number[], number[]] {
  if (!Number.isInteger(parts) || parts < 1) throw new Error(`${what}: ${parts} ranks`);
  const perKv = heads / kv;
  if (parts <= kv) {
    if (kv % parts !== 0) throw new Error(`${what}: ${kv} groups do not split over ${parts} ranks`);
    const groups = range((part * kv) / parts, ((part + 1) * kv) / parts);
    return [range(groups[0]! * perKv, (groups.at(-1)! + 1) * perKv), groups];
  }
  if (parts % kv !== 0 || heads % parts !== 0) {
    throw new Error(`${what}: ${heads} heads in ${kv} groups do not split over ${parts} ranks`);
  }
  const own = range((part * heads) / parts, ((part + 1) * heads) / parts);
  return [own, [Math.floor(own[0]! / perKv)]];
}

/** The query heads of rank `part` of `parts` and the KV heads they read. */
function attentionShare(config: FalconH1Config, parts: number, part: number): NonNullable<LayerShardPlan['attention']> {
  const [queryHeads, kvHeads] = splitHeads(
    config.num_attention_heads,
    config.num_key_value_heads,
    parts,
    part,
    'attention',
  );
  return { queryHeads, kvHeads };
}

/** The ranks on each side of mixer parallelism (half of an even group). */
function mixerHalf(tp: number): number {
  if (tp % 2 !== 0) throw new Error(`mixer parallelism needs an even number of ranks, got ${tp}`);
  return tp / 2;
}

/** Plain tensor parallelism of degree `tp`: rank `rank` takes its share of every mixer and of the MLP. */
export function tensorParallelPlan(config: FalconH1Config, tp: number, rank: number): LayerShardPlan {
  const [heads, groups] = ssmSplit(config, tp, rank);
  return { attention: attentionShare(config, tp, rank), ssm: { heads, groups }, mlp: mlpChannels(config, tp, rank) };
}

export type MixerParallelism = 'naive' | 'interleaved';

/**
 * Mixer parallelism over `tp` ranks (even): the first half computes attention (tensor-parallel among themselves),
 * the second half the SSM, in layer `layer`; 'interleaved' swaps the halves on odd layers. The MLP is split over
 * all `tp` ranks.
 */
export function mixerParallelPlan(
  config: FalconH1Config,
  tp: number,
  rank: number,
  layer: number,
  kind: MixerParallelism,
): LayerShardPlan {
  const half = mixerHalf(tp);
  const swapped = kind === 'interleaved' && layer % 2 === 1;
  const onAttention = rank < half !== swapped;
  const part = rank % half;
  const mlp = mlpChannels(config, tp, rank);
  if (onAttention) return { attention: attentionShare(config, half, part), mlp };
  const [heads, groups] = ssmSplit(config, half, part);
  return { ssm: { heads, groups }, mlp };
}

/**
 * How a balanced mixer-parallel layer moves work from the SSM ranks to the attention ranks: the first
 * `ssmHeadsOnAttention` SSM heads and the first `mlpChannelsOnAttention` MLP channels are computed by the
 * attention ranks (split evenly among them), the rest by the SSM ranks.
 */
export interface BalancedMixerSplit {
  readonly ssmHeadsOnAttention: number;
  readonly mlpChannelsOnAttention: number;
}

/**
 * Mixer parallelism balanced within each layer. Every layer's mixer output is summed over the group (an
 * all-reduce), so each layer waits for its slowest rank: naive and interleaved MP both cost, per layer, the SSM
 * side's time when the SSM is the heavier mixer (interleaving only balances the ranks across layers, which that
 * wait undoes). This layout keeps the attention heads on the first half of the ranks and gives them some SSM
 * heads (and/or MLP channels) too, so that both halves finish a layer together; `balancedMixerSplit` picks the
 * split from measured costs. SSM heads of one group on both halves copy the group's B and C (a shared piece whose
 * gradient is summed); with the gated norm on, each half must hold whole groups.
 */
export function balancedMixerPlan(
  config: FalconH1Config,
  tp: number,
  rank: number,
  split: BalancedMixerSplit,
): LayerShardPlan {
  const half = mixerHalf(tp);
  const part = rank % half;
  const onAttention = rank < half;
  const heads = config.mamba_n_heads;
  const channels = config.intermediate_size;
  const { ssmHeadsOnAttention: k, mlpChannelsOnAttention: c } = split;
  const even = (n: number, what: string) => {
    if (!Number.isInteger(n) || n < 0 || n % half !== 0) {
      throw new Error(`balanced mixer parallelism: ${n} ${what} do not split over ${half} ranks`);
    }
  };
  even(k, 'SSM heads on the attention ranks');
  even(heads - k, 'SSM heads on the SSM ranks');
  even(c, 'MLP channels on the attention ranks');
  even(channels - c, 'MLP channels on the SSM ranks');
  const [h0, h1] = onAttention ? [0, k] : [k, heads];
  const [c0, c1] = onAttention ? [0, c] : [c, channels];
  const headsPerRank = (h1 - h0) / half;
  const channelsPerRank = (c1 - c0) / half;
  const ownHeads = range(h0 + part * headsPerRank, h0 + (part + 1) * headsPerRank);
  const mlp: [number, number] = [c0 + part * channelsPerRank, c0 + (part + 1) * channelsPerRank];
  if (mlp[0] === mlp[1]) throw new Error('balanced mixer parallelism: every rank needs MLP channels');
  const perGroup = heads / config.mamba_n_groups;
  const groups = [...new Set(ownHeads.map((h) => Math.floor(h / perGroup)))];
  // The local mixer reads its heads as equal runs per group: a rank holds part of one group, or whole groups.
  const wholeGroups = ownHeads.length > 0 && ownHeads[0]! % perGroup === 0 && ownHeads.length % perGroup === 0;
  if (ownHeads.length > 0 && !wholeGroups && (groups.length > 1 || config.mamba_rms_norm)) {
    throw new Error(
      `balanced mixer parallelism: rank ${rank}'s SSM heads ${ownHeads[0]}…${ownHeads.at(-1)} are neither within one group nor whole groups of ${perGroup}${config.mamba_rms_norm ? ' (the gated RMSNorm needs whole groups)' : ''}`,
    );
  }
  const ssm = ownHeads.length > 0 ? { ssm: { heads: ownHeads, groups } } : {};
  return onAttention ? { attention: attentionShare(config, half, part), ...ssm, mlp } : { ...ssm, mlp };
}

/**
 * The split that makes both halves of a balanced mixer-parallel layer equally busy, from the one-GPU costs of a
 * layer's attention, SSM and MLP (any unit: measured milliseconds, or FLOPs): attention + x·ssm + y·mlp =
 * (1 − x)·ssm + (1 − y)·mlp, moving SSM heads when the SSM is the heavier mixer, MLP channels otherwise (rounded
 * to what splits over the ranks).
 */
export function balancedMixerSplit(
  config: FalconH1Config,
  tp: number,
  costs: { readonly attention: number; readonly ssm: number; readonly mlp: number },
): BalancedMixerSplit {
  const half = tp / 2;
  const { attention: a, ssm: s, mlp: m } = costs;
  const round = (x: number, total: number, unit: number) =>
    Math.min(total - unit, Math.max(0, Math.round((x * total) / unit) * unit));
  const channels = config.intermediate_size;
  if (s > a) {
    // The MLP split evenly; x of the SSM to the attention side: a + x·s = (1 − x)·s.
    const unit = config.mamba_rms_norm ? half * (config.mamba_n_heads / config.mamba_n_groups) : half;
    return {
      ssmHeadsOnAttention: round((s - a) / (2 * s), config.mamba_n_heads, unit),
      mlpChannelsOnAttention: channels / 2 - ((channels / 2) % half),
    };
  }
  // No SSM on the attention side; y of the MLP there: a + y·m = s + (1 − y)·m.
  const y = Math.max(0, (s + m - a) / (2 * m));
  return { ssmHeadsOnAttention: 0, mlpChannelsOnAttention: Math.max(half, round(y, channels, half)) };
}

/**
 * The gated RMSNorm normalises within groups of d_ssm/G channels, the SSM groups: a rank must hold whole groups, or
 * the norm would need a reduction across ranks (not implemented). So the SSM splits over at most G ranks when the
 * norm is on — which is what mixer parallelism gives 34B's TP 4 with G = 2 (2 ranks on attention, 2 on the SSM).
 */
function ssmSplit(config: FalconH1Config, parts: number, part: number): [number[], number[]] {
  if (config.mamba_rms_norm && parts > config.mamba_n_groups) {
    throw new Error(
      `Mamba2: the gated RMSNorm normalises whole groups; ${config.mamba_n_groups} groups cannot split over ${parts} ranks (use at most ${config.mamba_n_groups}, or mixer parallelism)`,
    );
  }
  return splitHeads(config.mamba_n_heads, config.mamba_n_groups, parts, part, 'Mamba2');
}

function mlpChannels(config: FalconH1Config, tp: number, rank: number): [number, number] {
  if (config.intermediate_size % tp !== 0) {
    throw new Error(`MLP: ${config.intermediate_size} intermediate channels do not split over ${tp} ranks`);
  }
  const n = config.intermediate_size / tp;
  return [rank * n, (rank + 1) * n];
}

/** Biases of row-parallel projections would be added once per rank: refused rather than silently wrong. */
export function checkShardable(config: FalconH1Config): void {
  if (config.block_layout !== 'SA_M') {
    throw new Error(`tensor and mixer parallelism support the published SA_M layout, not ${config.block_layout}`);
  }
  for (const flag of ['attention_bias', 'mlp_bias', 'projectors_bias', 'mamba_proj_bias'] as const) {
    if (config[flag]) throw new Error(`tensor parallelism of a config with ${flag} = true is not implemented`);
  }
}

/**
 * The pieces of layer `layer`'s parameters a rank holds under `plan`; `sequenceParallel` makes the norms' gradients
 * partial (each rank normalises its own tokens).
 */
export function layerShards(
  config: FalconH1Config,
  layer: number,
  plan: LayerShardPlan,
  sequenceParallel: boolean,
): ParameterShard[] {
  const prefix = `model.layers.${layer}.`;
  const d = config.hidden_size;
  const shards: ParameterShard[] = [];
  const piece = (
    name: string,
    fullShape: number[],
    selection: (number[] | undefined)[],
    gradient: GradientKind = 'partial',
  ) => shards.push({ name: `${prefix}${name}`, fullShape, selection, gradient });
  const normGradient = sequenceParallel ? 'partial' : 'replicated';
  piece('input_layernorm.weight', [d], [undefined], normGradient);
  piece('pre_ff_layernorm.weight', [d], [undefined], normGradient);

  if (plan.attention) {
    const dh = config.head_dim;
    const hq = config.num_attention_heads;
    const hkv = config.num_key_value_heads;
    const q = blockIndices(plan.attention.queryHeads, dh);
    const kv = blockIndices(plan.attention.kvHeads, dh);
    piece('self_attn.q_proj.weight', [hq * dh, d], [q, undefined]);
    piece('self_attn.k_proj.weight', [hkv * dh, d], [kv, undefined]);
    piece('self_attn.v_proj.weight', [hkv * dh, d], [kv, undefined]);
    piece('self_attn.o_proj.weight', [d, hq * dh], [undefined, q]);
  }

  if (plan.ssm) {
    const { mamba_n_heads: h, mamba_d_head: p, mamba_n_groups: g, mamba_d_state: n, mamba_d_ssm: dSsm } = config;
    const k = config.mamba_d_conv;
    const channels = blockIndices(plan.ssm.heads, p);
    const groupRows = (offset: number) => blockIndices(plan.ssm!.groups, n, offset);
    const gn = g * n;
    const inRows = [
      ...channels, // z
      ...blockIndices(plan.ssm.heads, p, dSsm), // x
      ...groupRows(2 * dSsm), // B
      ...groupRows(2 * dSsm + gn), // C
      ...plan.ssm.heads.map((head) => 2 * dSsm + 2 * gn + head), // dt
    ];
    const convRows = [...channels, ...groupRows(dSsm), ...groupRows(dSsm + gn)];
    piece('mamba.in_proj.weight', [2 * dSsm + 2 * gn + h, d], [inRows, undefined]);
    piece('mamba.conv1d.weight', [dSsm + 2 * gn, 1, k], [convRows, undefined, undefined]);
    if (config.mamba_conv_bias) piece('mamba.conv1d.bias', [dSsm + 2 * gn], [convRows]);
    for (const name of ['dt_bias', 'A_log', 'D']) piece(`mamba.${name}`, [h], [[...plan.ssm.heads]]);
    if (config.mamba_rms_norm) piece('mamba.norm.weight', [dSsm], [channels]);
    piece('mamba.out_proj.weight', [d, dSsm], [undefined, channels]);
  }

  const [c0, c1] = plan.mlp;
  const mlpRows = range(c0, c1);
  const inter = config.intermediate_size;
  piece('feed_forward.gate_proj.weight', [inter, d], [mlpRows, undefined]);
  piece('feed_forward.up_proj.weight', [inter, d], [mlpRows, undefined]);
  piece('feed_forward.down_proj.weight', [d, inter], [undefined, mlpRows]);
  return shards;
}

/** The embedding, final norm and head: whole on every rank; partial gradients when each rank sees other tokens. */
export function endShards(config: FalconH1Config, gradient: GradientKind): ParameterShard[] {
  const d = config.hidden_size;
  const v = config.vocab_size;
  if (config.tie_word_embeddings) throw new Error('tensor parallelism of a tied lm_head is not implemented');
  return [
    { name: 'model.embed_tokens.weight', fullShape: [v, d], selection: [undefined, undefined], gradient },
    { name: 'model.final_layernorm.weight', fullShape: [d], selection: [undefined], gradient },
    { name: 'lm_head.weight', fullShape: [v, d], selection: [undefined, undefined], gradient },
  ];
}

/**
 * A decoder layer as one rank holds it under a `LayerShardPlan`: the public attention, Mamba2 and MLP modules
 * built over the rank's pieces with a local config (fewer heads, groups, channels), and the two norms whole.
 * `mixers(n)` is the rank's partial sum of the layer's two mixer branches; summed over the ranks it is
 * S(n) + A(n) of the one-device layer (hybrid-block's SA_M: ssm_out·Mamba2(n) + attn_out·Attention(attn_in·n)).
 */
import { FalconH1Attention } from '@falcon-h1/attention';
import { add, scale, type Tensor, type Variable, zeros } from '@falcon-h1/core-tensor';
import { type FalconH1Config, FalconH1MLP, FalconH1RMSNorm } from '@falcon-h1/hybrid-block';
import { FalconH1Mixer } from '@falcon-h1/mamba2';
import type { LayerShardPlan } from './layer-shard-plan.js';

export class ShardedDecoderLayer {
  readonly input_layernorm: FalconH1RMSNorm;
  readonly pre_ff_layernorm: FalconH1RMSNorm;
  readonly self_attn?: FalconH1Attention;
  readonly mamba?: FalconH1Mixer;
  readonly feed_forward: FalconH1MLP;
  /** Every variable of this layer on this rank. */
  readonly parameters: Variable[] = [];

  /** `local` holds this rank's pieces under the full Hugging Face names. */
  constructor(
    readonly config: FalconH1Config,
    layer: number,
    readonly plan: LayerShardPlan,
    local: ReadonlyMap<string, Variable>,
  ) {
    const within = (prefix: string) => (name: string, shape: readonly number[]) => {
      const full = `model.layers.${layer}.${prefix}${name}`;
      const p = local.get(full);
      if (!p) throw new Error(`missing piece '${full}'`);
      if (p.shape.join(',') !== shape.join(',')) {
        throw new Error(
          `piece '${full}' has shape [${p.shape.join(', ')}], the local module expects [${shape.join(', ')}]`,
        );
      }
      this.parameters.push(p);
      return p;
    };
    const norm = (name: string) =>
      new FalconH1RMSNorm(within('')(`${name}.weight`, [config.hidden_size]), config.rms_norm_eps);
    this.input_layernorm = norm('input_layernorm');
    this.pre_ff_layernorm = norm('pre_ff_layernorm');
    if (plan.attention) {
      const attentionConfig = {
        ...config,
        num_attention_heads: plan.attention.queryHeads.length,
        num_key_value_heads: plan.attention.kvHeads.length,
      };
      this.self_attn = new FalconH1Attention(attentionConfig, within('self_attn.'));
    }
    if (plan.ssm) {
      const mixerConfig = {
        ...config,
        mamba_n_heads: plan.ssm.heads.length,
        mamba_n_groups: plan.ssm.groups.length,
        mamba_d_ssm: plan.ssm.heads.length * config.mamba_d_head,
      };
      this.mamba = new FalconH1Mixer(mixerConfig, within('mamba.'));
    }
    const mlpConfig = { ...config, intermediate_size: plan.mlp[1] - plan.mlp[0] };
    this.feed_forward = new FalconH1MLP(mlpConfig, within('feed_forward.'));
  }

  /** The rank's part of S(n) + A(n) for normed hidden states n [B, T, D] (whole sequences). */
  mixers(n: Tensor, positions: Tensor, seqIdx?: Tensor): Tensor {
    const parts: Tensor[] = [];
    if (this.mamba) parts.push(scale(this.mamba.forward(n, { seqIdx }).out, this.config.ssm_out_multiplier));
    if (this.self_attn) {
      const a = this.self_attn.forward(scale(n, this.config.attention_in_multiplier), { positions, seqIdx });
      parts.push(scale(a, this.config.attention_out_multiplier));
    }
    return parts.reduce((a, b) => add(a, b), zeros(n.shape, n.dtype, n.backend));
  }
}

/**
 * The per-token costs of a Falcon-H1 config that the planner's estimates are built from: parameters, training
 * FLOPs, and the bytes of activations a layer keeps per token. All counts follow the shapes of the model code
 * (hybrid-block, mamba2, attention).
 */
import { type FalconH1Config, falconH1ParameterCount } from '@falcon-h1/hybrid-block';

export interface ModelCosts {
  readonly parameters: number;
  /** Parameters outside the layers (embedding, head, final norm). */
  readonly endParameters: number;
  readonly layers: number;
  /** Training FLOPs (forward + backward) per token per layer, at context length T: GEMMs + attention + SSD. */
  readonly layerFlopsPerToken: (context: number) => number;
  /** Training FLOPs per token of the head (lm_head GEMM) and the embedding. */
  readonly endFlopsPerToken: number;
  /** Share of a layer's FLOPs in attention (q,k,v,o + scores) and in the SSM, at context T. */
  readonly mixerShares: (context: number) => { attention: number; ssm: number };
  /** bf16 activation bytes a layer keeps per token for its backward without recomputation (before TP split). */
  readonly layerActivationBytes: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  /** K and V bytes per token per layer (bf16): what context-parallel attention gathers. */
  readonly kvBytesPerToken: number;
  /** SSM state bytes per sequence per layer (f32) + the conv state: what context parallelism passes on. */
  readonly stateBytes: number;
}

export function modelCosts(config: FalconH1Config): ModelCosts {
  const d = config.hidden_size;
  const { num_attention_heads: hq, num_key_value_heads: hkv, head_dim: dh } = config;
  const { mamba_n_heads: h, mamba_d_head: p, mamba_n_groups: g, mamba_d_state: n, mamba_d_ssm: dSsm } = config;
  const q = config.mamba_chunk_size;
  const i = config.intermediate_size;
  const attentionWeights = d * (2 * hq * dh + 2 * hkv * dh);
  const ssmWeights = d * (2 * dSsm + 2 * g * n + h) + d * dSsm;
  const mlpWeights = 3 * d * i;
  // Forward FLOPs per token = 2 × weights (GEMMs); training = 3 × forward.
  const attentionScores = (t: number) => 2 * 2 * hq * dh * (t / 2); // QKᵀ and AV over on average T/2 keys (causal)
  const ssd = 2 * (2 * h * p * n) + 2 * q * (g * n + h * p); // state update + output, intra-chunk CB and weighting
  const attention = (t: number) => 3 * (2 * attentionWeights + attentionScores(t));
  const ssm = 3 * (2 * ssmWeights + ssd);
  const mlp = 3 * 2 * mlpWeights;
  const parameters = falconH1ParameterCount(config);
  const endParameters = 2 * config.vocab_size * d + d;
  const bf16 = 2;
  const layerActivationBytes =
    bf16 * 2 * d + // the two norms' inputs
    bf16 * (hq * dh + 2 * hkv * dh + hq * dh) + // q, k, v, attention output (flash attention: no T² scores)
    bf16 * (2 * dSsm + 2 * g * n + h) + // in_proj output
    bf16 * (dSsm + 2 * g * n) + // conv output
    4 * (2 * dSsm) + // the scan's f32 output and the gated norm's input
    bf16 * 3 * i + // gate, up, their product
    bf16 * 2 * d; // residual stream
  return {
    parameters,
    endParameters,
    layers: config.num_hidden_layers,
    layerFlopsPerToken: (t) => attention(t) + ssm + mlp,
    endFlopsPerToken: 3 * 2 * config.vocab_size * d,
    mixerShares: (t) => {
      const total = attention(t) + ssm + mlp;
      return { attention: attention(t) / total, ssm: ssm / total };
    },
    layerActivationBytes,
    hiddenSize: d,
    vocabSize: config.vocab_size,
    kvBytesPerToken: bf16 * 2 * hkv * dh,
    stateBytes: 4 * h * p * n + bf16 * (dSsm + 2 * g * n) * config.mamba_d_conv,
  };
}

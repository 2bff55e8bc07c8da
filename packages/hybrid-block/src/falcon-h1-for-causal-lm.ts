/**
 * FalconH1ForCausalLM: the decoder stack plus the language-model head,
 *   logits = lm_head(final_layernorm(h)) · lm_head_multiplier
 * with `lm_head.weight` its own parameter (every published size) or the embedding matrix when
 * `tie_word_embeddings` is set. Parameters are core `Variable`s under their Hugging Face names (`parameters`), so
 * `vjp(() => model.loss(ids), [...model.parameters.values()])` trains it.
 */
import { dispose, linear, scale, sliceAxis, type Tensor, tensor, type Variable } from '@falcon-h1/core-tensor';
import { causalLmHeadLoss } from './causal-lm-loss.js';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import { FalconH1Model, type ModelForwardOptions } from './falcon-h1-model.js';
import { FalconH1HybridCache } from './hybrid-cache.js';
import { parameterProvider } from './model-parameters.js';

export interface CausalLmForwardOptions extends ModelForwardOptions {
  /** Compute logits for the last N positions only (0, the default: all). Generation needs 1. */
  logitsToKeep?: number;
}

export interface CausalLmOutput {
  /** [B, T (or logitsToKeep), V] in the parameters' dtype. */
  logits: Tensor;
  /** The L + 1 hidden states, when asked for. */
  hiddenStates?: Tensor[];
}

export class FalconH1ForCausalLM {
  readonly config: FalconH1Config;
  /** Every parameter by Hugging Face name (a tied head is not listed twice). */
  readonly parameters: ReadonlyMap<string, Variable>;
  readonly model: FalconH1Model;
  readonly lm_head: { weight: Variable };
  readonly lm_head_multiplier: number;

  /**
   * Builds the model over `parameters` (Hugging Face names, one float dtype). A missing parameter, a wrong shape or
   * a parameter no module uses is refused, naming it.
   */
  constructor(config: FalconH1Config, parameters: ReadonlyMap<string, Variable>) {
    this.config = config;
    this.parameters = parameters;
    const dtypes = new Set([...parameters.values()].map((p) => p.dtype));
    if (dtypes.size > 1) throw new Error(`parameters must share one dtype, got ${[...dtypes].join(', ')}`);
    const used = new Set<string>();
    const provide = parameterProvider(parameters, used);
    this.model = new FalconH1Model(config, (name, shape) => provide(`model.${name}`, shape));
    this.lm_head = {
      weight: config.tie_word_embeddings
        ? this.model.embed_tokens.weight
        : provide('lm_head.weight', [config.vocab_size, config.hidden_size]),
    };
    const unused = [...parameters.keys()].filter((name) => !used.has(name));
    if (unused.length > 0) throw new Error(`unexpected parameter(s) for this config: ${unused.join(', ')}`);
    this.lm_head_multiplier = config.lm_head_multiplier;
  }

  /** The dtype the model computes in (its parameters'). */
  get dtype(): Tensor['dtype'] {
    return this.lm_head.weight.dtype;
  }

  /** inputIds i32 [B, T] → logits. */
  forward(inputIds: Tensor, options: CausalLmForwardOptions = {}): CausalLmOutput {
    const { lastHiddenState, hiddenStates } = this.model.forward(inputIds, options);
    const t = lastHiddenState.shape[1]!;
    const keep = options.logitsToKeep ?? 0;
    const h = keep > 0 && keep < t ? sliceAxis(lastHiddenState, 1, t - keep, keep) : lastHiddenState;
    const logits = scale(linear(h, this.lm_head.weight), this.lm_head_multiplier);
    return hiddenStates ? { logits, hiddenStates } : { logits };
  }

  /**
   * The mean next-token cross-entropy of `inputIds` (transformers' loss with labels = inputIds, or `labels`);
   * with `seqIdx`, the model runs packed and pairs across a document boundary are not counted.
   */
  loss(
    inputIds: Tensor,
    options: Omit<ModelForwardOptions, 'cache' | 'outputHiddenStates'> & { labels?: Tensor } = {},
  ): Tensor {
    const { lastHiddenState } = this.model.forward(inputIds, {
      seqIdx: options.seqIdx,
      positions: options.positions,
      gradientCheckpointing: options.gradientCheckpointing,
    });
    const seqIdx = this.lossSeqIdx(options.seqIdx, inputIds);
    // The head and the cross-entropy in one fused kernel: the [B·(T−1), V] logits are never stored whole.
    const labels = options.labels ?? inputIds;
    return causalLmHeadLoss(lastHiddenState, this.lm_head.weight, this.lm_head_multiplier, labels, seqIdx);
  }

  private lossSeqIdx(seqIdx: ModelForwardOptions['seqIdx'], inputIds: Tensor): Tensor | undefined {
    if (seqIdx === undefined) return undefined;
    if ('dataId' in (seqIdx as object)) return seqIdx as Tensor;
    const [b, t] = inputIds.shape as [number, number];
    return tensor(seqIdx as ArrayLike<number>, [b, t], 'i32', inputIds.backend);
  }

  /** An empty cache for `batchSize` rows. */
  createCache(batchSize: number): FalconH1HybridCache {
    return new FalconH1HybridCache(this.config.num_hidden_layers, batchSize);
  }

  /** Frees every parameter. */
  dispose(): void {
    dispose([...this.parameters.values()]);
  }
}

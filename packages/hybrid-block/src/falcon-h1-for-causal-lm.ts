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
import {
  disposeInferenceConstants,
  gradientTapeRecording,
  type InferenceConstants,
  modelInferenceConstants,
} from './inference-constants.js';
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
  /** What `prepareInference` made, and each parameter's buffer at that moment (to notice a replaced one). */
  private prepared:
    | { constants: InferenceConstants; buffers: Map<string, { parameter: Variable; buffer: Tensor['dataId'] }> }
    | undefined;

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

  /**
   * Inference mode: makes the model's inference constants (inference-constants.ts — every layer's weights with the
   * μP multipliers folded in, SA_M/SAM's merged input and output projections, the packed gate|up) once, replacing
   * any made before, and returns them. From then on every `forward` that runs while no gradient tape records uses
   * them (a prefill in about half the kernels), and so do `generate()`'s prefill and the `StaticDecoder` (its
   * prefill, and its steps instead of a copy of its own). Training is unaffected: under `vjp`/`valueAndGrads` the
   * forward pass reads the plain parameters, and `loss` never uses them.
   *
   * The rule for changed weights: a parameter whose buffer was replaced (`Variable.assign`) is noticed by the next
   * forward pass, which rebuilds the constants first; a parameter written IN PLACE (an optimizer step, `overwrite`)
   * is not — call `prepareInference()` again (or `releaseInference()`) after such an update. A server calls it once
   * after loading the weights. Costs one copy of the layer weights (see inference-constants.ts). A `StaticDecoder`
   * made while they exist borrows them: release them (or make new ones) only once no such decoder is in use.
   */
  prepareInference(): InferenceConstants {
    this.releaseInference();
    const constants = modelInferenceConstants(this.model.layers, this.dtype);
    this.prepared = {
      constants,
      buffers: new Map([...this.parameters].map(([name, p]) => [name, { parameter: p, buffer: p.dataId }])),
    };
    return constants;
  }

  /** Frees the inference constants (forward passes run the plain parameters again); nothing happens without them. */
  releaseInference(): void {
    if (this.prepared) disposeInferenceConstants(this.prepared.constants);
    this.prepared = undefined;
  }

  /**
   * The constants `prepareInference` made, rebuilt first where a parameter's buffer was replaced since (see
   * `prepareInference` for what cannot be noticed); undefined when there are none.
   */
  inferenceConstants(): InferenceConstants | undefined {
    const prepared = this.prepared;
    if (!prepared) return undefined;
    for (const [name, { parameter, buffer }] of prepared.buffers) {
      if (parameter.isDisposed) {
        throw new Error(`FalconH1ForCausalLM: parameter '${name}' was disposed after prepareInference()`);
      }
      if (parameter.dataId !== buffer) return this.prepareInference();
    }
    return prepared.constants;
  }

  /** inputIds i32 [B, T] → logits. */
  forward(inputIds: Tensor, options: CausalLmForwardOptions = {}): CausalLmOutput {
    // Inference constants only where no tape records (FalconH1Model.forward checks again): a tape wants the plain
    // parameters, and a rebuild must not be recorded.
    const inference = options.inference ?? (gradientTapeRecording() ? undefined : this.inferenceConstants());
    const { lastHiddenState, hiddenStates } = this.model.forward(inputIds, { ...options, inference });
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
    options: Omit<ModelForwardOptions, 'cache' | 'outputHiddenStates' | 'inference'> & { labels?: Tensor } = {},
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

  /** Frees every parameter (and the inference constants, if any). */
  dispose(): void {
    this.releaseInference();
    dispose([...this.parameters.values()]);
  }
}

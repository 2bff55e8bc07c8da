/**
 * FalconH1Model: the decoder stack — `embed_tokens(ids) · embedding_multiplier`, the layers, `final_layernorm` —
 * as transformers' FalconH1Model. Its hidden states are the input of every layer (0 = the scaled embeddings) and,
 * last, the output after the final norm: L + 1 tensors, as transformers returns them.
 *
 * Gradient checkpointing (transformers' `gradient_checkpointing`) wraps each decoder layer in core's `checkpoint`:
 * a training step then keeps only the layer boundaries on the tape and recomputes one layer's activations at a time
 * during the backward pass (about one extra forward pass of compute).
 */
import { checkpoint, gather, scale, type Tensor, type Variable } from '@falcon-h1/core-tensor';
import type { ParameterProvider } from '@falcon-h1/mamba2';
import { type BatchLayoutOptions, resolveBatchLayout } from './batch-layout.js';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import { FalconH1DecoderLayer, type LayerContext } from './falcon-h1-decoder-layer.js';
import { FalconH1RMSNorm, type PendingResidual } from './falcon-h1-rms-norm.js';
import type { FalconH1HybridCache } from './hybrid-cache.js';
import { gradientTapeRecording, type InferenceConstants } from './inference-constants.js';

export interface ModelForwardOptions extends BatchLayoutOptions {
  /** Earlier positions of the same rows; updated in place (prefill, then one token at a time). */
  cache?: FalconH1HybridCache;
  /** Also return the L + 1 hidden states. */
  outputHiddenStates?: boolean;
  /**
   * Recompute each layer's activations during the backward pass instead of keeping them (default: the model's
   * `gradientCheckpointing`). `true`: every decoder layer; a number n: the first n layers only, the others keep
   * their activations (Megatron's `recompute_num_layers`: a memory budget between the two — each checkpointed layer
   * keeps only its input, each other layer all of its activations, and is not recomputed). Only matters while a
   * gradient tape records; refused with a cache, whose update a recomputation would repeat.
   */
  gradientCheckpointing?: boolean | number;
  /**
   * Inference constants (inference-constants.ts; FalconH1ForCausalLM passes the ones `prepareInference` made): used
   * by a call while no gradient tape records and no hidden states are asked for — each layer then runs
   * `inferenceForward` (its residual adds fused with the next norm), unless it is a one-token step whose cache holds
   * decode constants of its own (`decodeLayers`). Ignored under a tape: training runs the plain parameters.
   */
  inference?: InferenceConstants;
}

export interface ModelOutput {
  /** [B, T, D], after the final norm. */
  lastHiddenState: Tensor;
  hiddenStates?: Tensor[];
}

export class FalconH1Model {
  readonly config: FalconH1Config;
  readonly embed_tokens: { weight: Variable };
  readonly layers: FalconH1DecoderLayer[];
  readonly final_layernorm: FalconH1RMSNorm;
  readonly embedding_multiplier: number;
  /**
   * transformers' `gradient_checkpointing`: checkpoint every decoder layer of forwards without a cache (true), or the
   * first n (a number; ModelForwardOptions.gradientCheckpointing).
   */
  gradientCheckpointing: boolean | number = false;

  /** `parameter` receives names relative to `model.`. */
  constructor(config: FalconH1Config, parameter: ParameterProvider) {
    this.config = config;
    this.embed_tokens = { weight: parameter('embed_tokens.weight', [config.vocab_size, config.hidden_size]) };
    this.layers = Array.from(
      { length: config.num_hidden_layers },
      (_, i) => new FalconH1DecoderLayer(config, (name, shape) => parameter(`layers.${i}.${name}`, shape)),
    );
    this.final_layernorm = new FalconH1RMSNorm(
      parameter('final_layernorm.weight', [config.hidden_size]),
      config.rms_norm_eps,
    );
    this.embedding_multiplier = config.embedding_multiplier;
  }

  /** How many layers (the first ones) a forward checkpoints: all for true, none for false, n for a number n. */
  private checkpointedLayerCount(setting: boolean | number): number {
    const layers = this.layers.length;
    if (typeof setting === 'boolean') return setting ? layers : 0;
    if (!Number.isInteger(setting) || setting < 0 || setting > layers) {
      throw new Error(
        `FalconH1Model: gradientCheckpointing must be true, false or a whole number of layers from 0 to ${layers}, got ${setting}`,
      );
    }
    return setting;
  }

  /** inputIds i32 [B, T] → hidden states [B, T, D]. */
  forward(inputIds: Tensor, options: ModelForwardOptions = {}): ModelOutput {
    if (inputIds.dtype !== 'i32' || inputIds.rank !== 2) {
      throw new Error(
        `FalconH1Model: input ids must be i32 [B, T], got ${inputIds.dtype}[${inputIds.shape.join(', ')}]`,
      );
    }
    const [b, t] = inputIds.shape as [number, number];
    const { cache } = options;
    if (cache && options.gradientCheckpointing) {
      throw new Error(
        'FalconH1Model: gradientCheckpointing cannot be used with a cache (the recomputation would update it twice)',
      );
    }
    if (cache && cache.batchSize !== b) {
      throw new Error(`FalconH1Model: the cache holds ${cache.batchSize} rows, the input ${b}`);
    }
    const layout = resolveBatchLayout(b, t, options, inputIds.backend, cache);
    const inference = options.outputHiddenStates || gradientTapeRecording() ? undefined : options.inference;
    if (inference) this.checkInferenceConstants(inference);
    let h = scale(gather(this.embed_tokens.weight, inputIds), this.embedding_multiplier);
    const hiddenStates: Tensor[] = [];
    const checkpointedLayers = cache
      ? 0
      : this.checkpointedLayerCount(options.gradientCheckpointing ?? this.gradientCheckpointing);
    // The layer's tensor inputs other than its parameters go through `checkpoint` (which keeps them for the
    // recomputation); the parameters are found by checkpoint itself.
    const layoutInputs = layout.seqIdx ? [layout.positions, layout.seqIdx] : [layout.positions];
    const contextOf = (i: number): LayerContext => ({
      positions: layout.positions,
      seqIdx: layout.seqIdx,
      cache: cache?.layers[i],
      setMambaState: cache ? (state) => cache.setMambaState(i, state) : undefined,
    });
    // One-token steps after a prefill (every layer with decode constants) fuse each residual add with the norm after.
    const decodeStep =
      !options.outputHiddenStates && this.layers.every((layer, i) => layer.decodesOneToken(h, contextOf(i)));
    if (decodeStep) {
      h = this.decodeLayers(h, contextOf);
    } else if (inference) {
      h = this.fusedLayers(h, (layer, stream, i) => layer.inferenceForward(stream, contextOf(i), inference.layers[i]!));
    } else {
      this.layers.forEach((layer, i) => {
        if (options.outputHiddenStates) hiddenStates.push(h);
        if (i < checkpointedLayers) {
          h = checkpoint(
            (x: Tensor, positions: Tensor, seqIdx?: Tensor) => layer.forward(x, { positions, seqIdx }),
            [h, ...layoutInputs],
          );
          return;
        }
        h = layer.forward(h, contextOf(i));
      });
      h = this.final_layernorm.forward(h);
    }
    if (cache) {
      if (!cache.rows) cache.tracksDocuments = layout.seqIdx !== undefined;
      cache.rows = layout.rowsAfter;
    }
    if (!options.outputHiddenStates) return { lastHiddenState: h };
    hiddenStates.push(h);
    return { lastHiddenState: h, hiddenStates };
  }

  /**
   * The layers and the final norm of a one-token step whose every layer has decode constants (generate()'s steps
   * after the prefill, the static decoder's): h [B, 1, D] (the scaled embeddings) → the final norm's output. Each
   * layer leaves its closing residual add pending (FalconH1DecoderLayer.decodeStep) and the norm that reads the sum —
   * the next layer's input_layernorm, last the final norm — does the add in the same kernel (AddRmsNorm): one kernel
   * fewer per layer, the same values.
   */
  decodeLayers(h: Tensor, contextOf: (layer: number) => LayerContext): Tensor {
    return this.fusedLayers(h, (layer, stream, i) => layer.decodeStep(stream, contextOf(i)));
  }

  /** The layers, each handed the previous one's output as it left it (maybe a pending add), and the final norm. */
  private fusedLayers(
    h: Tensor,
    step: (layer: FalconH1DecoderLayer, stream: Tensor | PendingResidual, index: number) => Tensor | PendingResidual,
  ): Tensor {
    let stream: Tensor | PendingResidual = h;
    this.layers.forEach((layer, i) => {
      stream = step(layer, stream, i);
    });
    return this.final_layernorm.forwardResidual(stream).normed;
  }

  private checkInferenceConstants(inference: InferenceConstants): void {
    const dtype = this.embed_tokens.weight.dtype;
    if (inference.layers.length !== this.layers.length || inference.dtype !== dtype) {
      throw new Error(
        `FalconH1Model: inference constants for ${inference.layers.length} layers of ${inference.dtype} activations, the model has ${this.layers.length} layers of ${dtype}`,
      );
    }
  }
}

/**
 * FalconH1Model: the decoder stack — `embed_tokens(ids) · embedding_multiplier`, the layers, `final_layernorm` —
 * as transformers' FalconH1Model. Its hidden states are the input of every layer (0 = the scaled embeddings) and,
 * last, the output after the final norm: L + 1 tensors, as transformers returns them.
 */
import { gather, scale, type Tensor, type Variable } from '@falcon-h1/core-tensor';
import type { ParameterProvider } from '@falcon-h1/mamba2';
import { type BatchLayoutOptions, resolveBatchLayout } from './batch-layout.js';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import { FalconH1DecoderLayer } from './falcon-h1-decoder-layer.js';
import { FalconH1RMSNorm } from './falcon-h1-rms-norm.js';
import type { FalconH1HybridCache } from './hybrid-cache.js';

export interface ModelForwardOptions extends BatchLayoutOptions {
  /** Earlier positions of the same rows; updated in place (prefill, then one token at a time). */
  cache?: FalconH1HybridCache;
  /** Also return the L + 1 hidden states. */
  outputHiddenStates?: boolean;
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

  /** inputIds i32 [B, T] → hidden states [B, T, D]. */
  forward(inputIds: Tensor, options: ModelForwardOptions = {}): ModelOutput {
    if (inputIds.dtype !== 'i32' || inputIds.rank !== 2) {
      throw new Error(
        `FalconH1Model: input ids must be i32 [B, T], got ${inputIds.dtype}[${inputIds.shape.join(', ')}]`,
      );
    }
    const [b, t] = inputIds.shape as [number, number];
    const { cache } = options;
    if (cache && cache.batchSize !== b) {
      throw new Error(`FalconH1Model: the cache holds ${cache.batchSize} rows, the input ${b}`);
    }
    const layout = resolveBatchLayout(b, t, options, inputIds.backend, cache);
    let h = scale(gather(this.embed_tokens.weight, inputIds), this.embedding_multiplier);
    const hiddenStates: Tensor[] = [];
    this.layers.forEach((layer, i) => {
      if (options.outputHiddenStates) hiddenStates.push(h);
      h = layer.forward(h, {
        positions: layout.positions,
        seqIdx: layout.seqIdx,
        cache: cache?.layers[i],
        setMambaState: cache ? (state) => cache.setMambaState(i, state) : undefined,
      });
    });
    h = this.final_layernorm.forward(h);
    if (cache) {
      if (!cache.rows) cache.tracksDocuments = layout.seqIdx !== undefined;
      cache.rows = layout.rowsAfter;
    }
    if (!options.outputHiddenStates) return { lastHiddenState: h };
    hiddenStates.push(h);
    return { lastHiddenState: h, hiddenStates };
  }
}

/**
 * FalconH1HybridCache: everything a Falcon-H1 model carries from one call to the next while it decodes — for
 * every layer the attention KV cache (keys after the key multiplier and RoPE, values) and the Mamba2 state
 * (conv_state [B, conv_dim, K] of pre-conv xBC columns, ssm_state [B, H, P, N] in f32) — plus, per row, the
 * document and position the next token continues (left-padded batches and packed prefills use document ids).
 *
 * The cache owns its tensors: they are marked with `keep()` so they outlive the `tidy` of the call that made
 * them, and each update disposes what it replaces. `dispose()` frees everything.
 */
import { KVCache, type RowContinuation } from '@falcon-h1/attention';
import { type DType, keep } from '@falcon-h1/core-tensor';
import { disposeMambaState, type MambaLayerState } from '@falcon-h1/mamba2';
import type { FalconH1DecoderLayer } from './falcon-h1-decoder-layer.js';
import { disposeLayerDecodeConstants, type LayerDecodeConstants } from './layer-decode-constants.js';

export interface HybridLayerCache {
  readonly kv: KVCache;
  /** The mixer's state after the cached positions; undefined before the first call. */
  mamba: MambaLayerState | undefined;
  /** Decode-step constants of the layer, when `prepareDecodeSteps` made them (generation does). */
  decodeConstants?: LayerDecodeConstants;
}

export class FalconH1HybridCache {
  readonly layers: HybridLayerCache[];
  /** Per row: the document and next position of the last cached token; undefined before the first call. */
  rows: RowContinuation[] | undefined;
  /** Whether the cached keys carry document ids (the first call gave seqIdx), so later calls must too. */
  tracksDocuments = false;

  constructor(
    numLayers: number,
    readonly batchSize: number,
  ) {
    this.layers = Array.from({ length: numLayers }, () => ({ kv: new KVCache(), mamba: undefined }));
  }

  /** Cached positions per row (padding included). */
  get length(): number {
    return this.layers[0]?.kv.length ?? 0;
  }

  /** Replaces layer `index`'s Mamba2 state (the new one is kept, the old one freed). */
  setMambaState(index: number, state: MambaLayerState): void {
    const layer = this.layers[index]!;
    const old = layer.mamba;
    layer.mamba = { convState: keep(state.convState), ssmState: keep(state.ssmState) };
    if (old && old.convState !== state.convState && old.ssmState !== state.ssmState) disposeMambaState(old);
  }

  /**
   * Precomputes what each layer's one-token steps derive from its parameters (`decodeConstants`), for activations
   * of `dtype`, so that decoding through this cache skips those kernels every step. Inference only: the cache owns
   * the copies, made from the parameters as they are now.
   */
  prepareDecodeSteps(layers: readonly FalconH1DecoderLayer[], dtype: DType): void {
    if (layers.length !== this.layers.length) {
      throw new Error(`prepareDecodeSteps: ${layers.length} layers for a cache of ${this.layers.length}`);
    }
    this.layers.forEach((layer, i) => {
      if (layer.decodeConstants) disposeLayerDecodeConstants(layer.decodeConstants);
      layer.decodeConstants = layers[i]!.decodeConstants(dtype);
    });
  }

  dispose(): void {
    for (const layer of this.layers) {
      layer.kv.dispose();
      disposeMambaState(layer.mamba);
      layer.mamba = undefined;
      if (layer.decodeConstants) disposeLayerDecodeConstants(layer.decodeConstants);
      layer.decodeConstants = undefined;
    }
    this.rows = undefined;
  }
}

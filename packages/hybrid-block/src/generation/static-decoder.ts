/**
 * StaticDecoder: greedy (or host-sampled) decoding whose per-token step has fixed shapes and updates its state in
 * place, so that a backend with graph capture (CUDA Graphs) records the step once and replays it: one host call per
 * token instead of one per kernel (a 0.5B-shaped Falcon-H1 step is 190 kernels, 5 per layer).
 *
 * The layers' constants (weights with the μP multipliers folded in, merged projections: inference-constants.ts) are
 * the model's where `prepareInference()` made them — borrowed, so a server pays for one copy whatever the number of
 * decoders — else made for this decoder and freed with it; the prefill runs through them too
 * (FalconH1DecoderLayer.inferenceForward: about half the plain layer's kernels).
 * After that prefill (the hybrid cache, left-padded prompts as documents), every piece of state the step reads
 * moves into buffers that live for the whole generation:
 *   per layer  keys, values [B, L, Hkv, Dh] (a `StaticKVCache`, L = maxLength), conv_state [B, conv_dim, K] and
 *              ssm_state [B, H, P, N]
 *   per row    the next input token [B, 1], its RoPE position [B, 1] and its document [B, 1]
 *   shared     the slot the step writes (one timeline for all rows: they are padded to the same length) and the
 *              document id of every slot [B, L] (the same for every layer, so written once per step)
 * Each step's document ids go into their slot in place (core's `cacheWrite`), each layer's keys and values by
 * the fused `attentionDecodeStep` that also attends over the cache (the packed q|k|v projection is a decode constant;
 * SA_M and SAM layers stack it under in_proj: one MatMul for both branches), and each layer's conv and SSM states by
 * the fused `ssmDecodeStepInPlace` (`inPlaceMambaState`: no copy of the next state back into its buffers) — both
 * steps in one kernel, `parallelMixersDecodeStep`, in SA_M and SAM layers with the plain y·silu(z) gate. Each
 * bias-free projection that alone reads a norm or the MLP's activation runs fused with it (`addRmsNormMatMul`,
 * `swiGluPackedMatMul`: FalconH1DecoderLayer.decodeStep). The step
 * is the layers' one-token decode steps with these caches (FalconH1Model.decodeLayers), the greedy next token
 * written back into the token buffer, and position and slot advanced — all on the device. Results equal
 * `generate()`'s (tested), because the same layers run on the same values: attention over all L slots sees exactly
 * the filled slots of the row's document.
 */
import { StaticKVCache } from '@falcon-h1/attention';
import {
  add,
  argMax,
  type CapturedGraph,
  cacheWrite,
  canCaptureGraphs,
  captureGraph,
  cast,
  concat,
  type DType,
  dispose,
  fill,
  gather,
  keep,
  linear,
  overwrite,
  reshape,
  scale,
  type Tensor,
  tensor,
  tidy,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import { inPlaceMambaState } from '@falcon-h1/mamba2';
import type { DecoderLayerCache } from '../falcon-h1-decoder-layer.js';
import type { FalconH1ForCausalLM } from '../falcon-h1-for-causal-lm.js';
import { disposeInferenceConstants, type InferenceConstants, modelInferenceConstants } from '../inference-constants.js';
import type { LayerDecodeConstants } from '../layer-decode-constants.js';
import { leftPadBatch } from './left-pad-batch.js';

export interface StaticDecoderOptions {
  /** Capacity of the KV cache: prompt (padded) plus every token to generate. */
  maxLength: number;
  /** Default: the config's pad_token_id, else 0. */
  padTokenId?: number;
  /** Record the step into a graph and replay it (default: where the backend can capture graphs). */
  capture?: boolean;
  /**
   * Run each SA_M or SAM layer's SSM and attention steps as ONE kernel, ParallelMixersDecodeStep, which a backend
   * may run side by side (default true; layers with the gated RMSNorm keep two kernels either way). false: the two
   * steps one after the other, SsmDecodeStepInPlace then AttentionDecodeStep, with the same results — for timing
   * what the fusion gains on a backend (tools/decode-kernel-count.mjs --separate-mixers counts that step).
   */
  parallelMixers?: boolean;
  /**
   * The dtype of the SSM states the steps carry: 'f32' (default, the exact scan's state, as llama.cpp keeps it), or
   * 'activations' — the model's 16-bit dtype for a bf16/f16 model, as transformers keeps `ssm_states` (the kernels
   * widen it on load and round the new state once on store). Half the state's bytes: at batch 32 the 0.5B's f32
   * state is 25 MB per layer, read and written every step. f32 models keep f32 either way.
   */
  ssmStateDtype?: 'f32' | 'activations';
}

/** What one step leaves on the device: that step's logits [B, V] and its greedy tokens [B] (i32). */
// A type alias, not an interface: captured outputs are a string-keyed record of tensors.
export type StaticDecodeStep = {
  logits: Tensor;
  tokens: Tensor;
};

interface LayerState {
  cache: DecoderLayerCache;
  kv: StaticKVCache;
  convState: Variable;
  ssmState: Variable;
  decodeConstants: LayerDecodeConstants;
}

export class StaticDecoder {
  readonly batch: number;
  readonly maxLength: number;
  /** Whether steps replay a captured graph. */
  readonly captures: boolean;
  /** The dtype of the SSM states the steps carry (f32, or the model's 16-bit dtype: `ssmStateDtype`). */
  readonly ssmStateDtype: DType;
  private readonly layers: LayerState[];
  /** The input token of the next step (the greedy choice of the last one, unless `setTokens` replaced it). */
  private readonly tokens: Variable;
  private readonly positions: Variable;
  /** i32 [1]: the cache slot the next step writes. */
  private readonly slot: Variable;
  private readonly rowDocuments: Tensor;
  /** i32 [B, L]: the document of every cache slot (−1 while empty), shared by the layers' caches. */
  private readonly keySeqIdx: Variable;
  private readonly one: Tensor;
  private filled: number;
  private steps = 0;
  private graph: CapturedGraph<StaticDecodeStep> | undefined;
  private last: StaticDecodeStep | undefined;
  private disposed = false;
  /** The layers' constants where this decoder made them (freed with it); undefined where it borrows the model's. */
  private readonly ownedConstants: InferenceConstants | undefined;

  /** Prefills `prompts` (left-padded to one length) and readies the static step. */
  constructor(
    private readonly model: FalconH1ForCausalLM,
    prompts: readonly (readonly number[])[],
    options: StaticDecoderOptions,
  ) {
    const config = model.config;
    const backend = model.lm_head.weight.backend;
    const padded = leftPadBatch(prompts, options.padTokenId ?? config.pad_token_id ?? 0);
    const b = padded.batch;
    const s = padded.length;
    const l = options.maxLength;
    if (!Number.isInteger(l) || l <= s) {
      throw new Error(`StaticDecoder: maxLength ${l} must be an integer above the padded prompt length ${s}`);
    }
    this.batch = b;
    this.maxLength = l;
    this.filled = s;
    this.captures = options.capture ?? canCaptureGraphs(backend);
    if (this.captures && !canCaptureGraphs(backend)) {
      throw new Error(`StaticDecoder: backend '${backend.name}' cannot capture graphs`);
    }
    // The static cache masks by document, so the prefill always tracks documents (every row: document 1 after
    // its padding, or from the start).
    const seqIdx = padded.seqIdx ?? new Int32Array(b * s).fill(1);
    // Parameter-derived tensors (weights with the μP multipliers folded in, merged input and output projections,
    // f32 dt_bias/A/D/norm weight, the packed q|k|v projection of the fused attention step), read by the prefill
    // and every step: the model's inference constants where `prepareInference` made them (borrowed, not freed
    // here: one copy per model, however many decoders), else made for this decoder.
    const shared = model.inferenceConstants();
    const dtype = model.model.embed_tokens.weight.dtype;
    const constants =
      shared ?? modelInferenceConstants(model.model.layers, dtype, { parallelMixers: options.parallelMixers });
    this.ownedConstants = shared ? undefined : constants;
    // The setting of the borrowed constants, where this decoder asks for the two mixers' steps apart.
    const stepConstants = (i: number): LayerDecodeConstants => {
      const layer = constants.layers[i]!;
      return shared && options.parallelMixers === false ? { ...layer, parallelMixers: false } : layer;
    };
    const cache = model.createCache(b);
    const ids = tensor(padded.ids, [b, s], 'i32', backend);
    try {
      const vocab = config.vocab_size;
      // The prefill through the same constants (FalconH1DecoderLayer.inferenceForward): about half the kernels.
      const first = tidy(() =>
        argMax(
          reshape(model.forward(ids, { cache, seqIdx, logitsToKeep: 1, inference: constants }).logits, [b, vocab]),
          -1,
        ),
      );
      const firstColumn = reshape(first, [b, 1]);
      this.tokens = variable(firstColumn, { name: 'static_decoder.tokens', trainable: false });
      dispose([first, firstColumn]);
      const rows = cache.rows!;
      const own = (t: Tensor, name: string): Variable => {
        const v = variable(t, { name, trainable: false });
        t.dispose();
        return v;
      };
      this.positions = own(
        tensor(
          Int32Array.from(rows, (r) => r.nextPosition),
          [b, 1],
          'i32',
          backend,
        ),
        'positions',
      );
      this.rowDocuments = keep(
        tensor(
          Int32Array.from(rows, (r) => r.document),
          [b, 1],
          'i32',
          backend,
        ),
      );
      this.slot = own(tensor([s], [1], 'i32', backend), 'slot');
      this.one = keep(tensor([1], [1], 'i32', backend));
      const widen = (t: Tensor, value: number): Tensor =>
        tidy(() => concat([t, fill([b, l - s, ...t.shape.slice(2)], value, t.dtype, backend)], 1));
      // Every layer cached the same document ids: one copy serves them all.
      this.keySeqIdx = own(widen(cache.layers[0]!.kv.keySeqIdx!, -1), 'key_seq_idx');
      const slot = (): Tensor => this.slot;
      // The prefill's f32 state, or that state rounded once to the model's 16-bit dtype (ssmStateDtype).
      const state16 = options.ssmStateDtype === 'activations' && (dtype === 'bf16' || dtype === 'f16');
      this.ssmStateDtype = state16 ? dtype : cache.layers[0]!.mamba!.ssmState.dtype;
      const stateOf = (state: Tensor): Tensor => (state16 ? cast(state, dtype) : state); // (a copy to free)
      this.layers = cache.layers.map((layer, i) => {
        const kv = layer.kv;
        const mamba = layer.mamba!;
        const staticKv = new StaticKVCache(
          own(widen(kv.keys!, 0), `layers.${i}.keys`),
          own(widen(kv.values!, 0), `layers.${i}.values`),
          this.keySeqIdx,
          slot,
          { writesKeySeqIdx: false },
        );
        const convState = variable(mamba.convState, { name: `layers.${i}.conv_state`, trainable: false });
        const initialState = stateOf(mamba.ssmState);
        const ssmState = variable(initialState, { name: `layers.${i}.ssm_state`, trainable: false });
        if (initialState !== mamba.ssmState) initialState.dispose();
        const decodeConstants = stepConstants(i);
        const layerCache = { kv: staticKv, mamba: inPlaceMambaState(convState, ssmState), decodeConstants };
        return { kv: staticKv, convState, ssmState, decodeConstants, cache: layerCache };
      });
    } catch (error) {
      if (this.ownedConstants) disposeInferenceConstants(this.ownedConstants);
      throw error;
    } finally {
      ids.dispose();
      cache.dispose();
    }
  }

  /** Cached positions per row so far (padded prompt + steps). */
  get length(): number {
    return this.filled;
  }

  /** The next step's input tokens [B, 1] (i32): the last greedy choice, or what `setTokens` wrote. */
  get nextTokens(): Tensor {
    return this.tokens;
  }

  /** Replaces the next step's input tokens (host sampling): one id per row. */
  setTokens(ids: readonly number[]): void {
    if (ids.length !== this.batch) throw new Error(`setTokens: ${ids.length} ids for ${this.batch} rows`);
    const vocab = this.model.config.vocab_size;
    ids.forEach((id, row) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocab)
        throw new Error(`setTokens: row ${row}: id ${id} is not in [0, ${vocab})`);
    });
    const fresh = tensor(ids, [this.batch, 1], 'i32', this.tokens.backend);
    overwrite(this.tokens, fresh);
    fresh.dispose();
  }

  /**
   * Enqueues one decode step (nothing is read back): the model reads the next tokens, appends them to the caches
   * and writes its greedy choice as the following input. The returned tensors are valid until the next step (with
   * a graph they are the same tensors every step).
   */
  step(): StaticDecodeStep {
    if (this.disposed) throw new Error('StaticDecoder: step() after dispose()');
    if (this.filled >= this.maxLength) {
      throw new Error(`StaticDecoder: the cache is full (maxLength ${this.maxLength}); start a longer decoder`);
    }
    this.filled++;
    this.steps++;
    // The first step runs eagerly (it also warms the backend's per-shape setup); later ones replay its recording.
    if (this.captures && this.steps >= 2) {
      if (!this.graph) {
        this.release();
        this.graph = captureGraph(() => this.body(), this.tokens.backend);
      }
      this.graph.replay();
      return this.graph.outputs;
    }
    this.release();
    const outputs = tidy(() => this.body());
    this.last = { logits: keep(outputs.logits), tokens: keep(outputs.tokens) };
    return this.last;
  }

  private body(): StaticDecodeStep {
    const { model, batch: b } = this;
    const decoder = model.model;
    cacheWrite(this.keySeqIdx, this.rowDocuments, this.slot);
    const embedded = scale(gather(decoder.embed_tokens.weight, this.tokens), decoder.embedding_multiplier);
    // The layers' decode steps, each closing residual add fused with the next norm (FalconH1Model.decodeLayers);
    // the Mamba2 states are updated in place, so there is no state to hand back.
    const h = decoder.decodeLayers(embedded, (i) => ({
      positions: this.positions,
      seqIdx: this.rowDocuments,
      cache: this.layers[i]!.cache,
    }));
    const vocab = model.config.vocab_size;
    const logits = reshape(scale(linear(h, model.lm_head.weight), model.lm_head_multiplier), [b, vocab]);
    const tokens = argMax(logits, -1);
    overwrite(this.tokens, reshape(tokens, [b, 1]));
    overwrite(this.positions, add(this.positions, this.one));
    overwrite(this.slot, add(this.slot, this.one));
    return { logits, tokens };
  }

  private release(): void {
    if (this.last) dispose([this.last.logits, this.last.tokens]);
    this.last = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.release();
    this.graph?.dispose();
    const owned: Tensor[] = [this.tokens, this.positions, this.slot, this.rowDocuments, this.keySeqIdx, this.one];
    for (const layer of this.layers) owned.push(layer.kv.keys, layer.kv.values, layer.convState, layer.ssmState);
    dispose(owned);
    if (this.ownedConstants) disposeInferenceConstants(this.ownedConstants);
  }
}

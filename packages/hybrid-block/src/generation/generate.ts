/**
 * Generation: one prefill of the (left-padded) prompts, then one token per step through the hybrid cache (KV
 * cache, conv and SSM states), each row stopping at its first stop token or at `maxNewTokens`.
 *
 * `generateStream` is an async iterator of steps (stream tokens as they come); `generate` runs it to the end and
 * returns the new tokens of every row, calling `onToken` along the way.
 */
import { type Tensor, tensor, tidy } from '@falcon-h1/core-tensor';
import { eosTokenIds } from '../config/falcon-h1-config.js';
import type { FalconH1ForCausalLM } from '../falcon-h1-for-causal-lm.js';
import { seededRandom } from '../seeded-random.js';
import { leftPadBatch } from './left-pad-batch.js';
import { chooseToken, type SamplingOptions, validateSamplingOptions } from './sampling.js';

export interface GenerationOptions extends SamplingOptions {
  /** How many tokens to generate at most per row. */
  maxNewTokens: number;
  /** Stop tokens are forbidden until this many tokens are generated (transformers' min_new_tokens). Default 0. */
  minNewTokens?: number;
  /** A row ends after producing one of these. Default: the config's eos_token_id. */
  stopTokens?: readonly number[];
  /** Seed of the sampler (sampling only). Default 0. */
  seed?: number;
  /** Token that left-pads shorter prompts (any id works: padding is a document of its own). Default: the config's pad_token_id, else 0. */
  padTokenId?: number;
}

export interface GenerationStep {
  /** 0 for the first generated token. */
  step: number;
  /** Per row: the new token, or undefined for a row that had already stopped. */
  tokens: Array<number | undefined>;
  /** Per row: whether the row has stopped (after this step). */
  finished: boolean[];
}

export type FinishReason = 'stop' | 'length';

export interface GenerationResult {
  /** Per row: the generated tokens (a stop token that ended the row included). */
  sequences: number[][];
  finishReasons: FinishReason[];
}

function validate(prompts: readonly (readonly number[])[], vocab: number, options: GenerationOptions): void {
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new Error(`maxNewTokens must be an integer ≥ 0, got ${options.maxNewTokens}`);
  }
  validateSamplingOptions(options);
  prompts.forEach((prompt, row) => {
    for (const id of prompt) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new Error(`prompt ${row}: token id ${id} is outside the vocabulary [0, ${vocab})`);
      }
    }
  });
}

export async function* generateStream(
  model: FalconH1ForCausalLM,
  prompts: readonly (readonly number[])[],
  options: GenerationOptions,
): AsyncGenerator<GenerationStep> {
  const config = model.config;
  validate(prompts, config.vocab_size, options);
  const backend = model.lm_head.weight.backend;
  const batch = leftPadBatch(prompts, options.padTokenId ?? config.pad_token_id ?? 0);
  const stopTokens = options.stopTokens ?? eosTokenIds(config);
  const minNewTokens = options.minNewTokens ?? 0;
  const rng = seededRandom(options.seed ?? 0);
  const history = prompts.map((p) => [...p]);
  const finished = prompts.map(() => false);
  const cache = model.createCache(batch.batch);
  // One-token steps read the mixers' parameter-derived constants from the cache instead of recomputing them. (The
  // prefill reads the model's inference constants where `prepareInference()` made them: FalconH1ForCausalLM.forward.)
  cache.prepareDecodeSteps(model.model.layers, model.model.embed_tokens.weight.dtype);
  let input: Tensor | undefined = tensor(batch.ids, [batch.batch, batch.length], 'i32', backend);
  try {
    for (let step = 0; step < options.maxNewTokens; step++) {
      const ids = input;
      const logits = tidy(
        () => model.forward(ids, { cache, seqIdx: step === 0 ? batch.seqIdx : undefined, logitsToKeep: 1 }).logits,
      );
      input.dispose();
      input = undefined;
      const values = (await logits.data()) as Float32Array | Float64Array;
      logits.dispose();
      const v = config.vocab_size;
      const forbidden = step < minNewTokens ? stopTokens : [];
      const tokens: Array<number | undefined> = [];
      for (let row = 0; row < batch.batch; row++) {
        if (finished[row]) {
          tokens.push(undefined);
          continue;
        }
        const token = chooseToken(values.subarray(row * v, (row + 1) * v), history[row]!, options, rng, forbidden);
        history[row]!.push(token);
        tokens.push(token);
        if (stopTokens.includes(token)) finished[row] = true;
      }
      yield { step, tokens, finished: [...finished] };
      if (finished.every(Boolean) || step + 1 === options.maxNewTokens) break;
      // A stopped row keeps decoding its stop token; its outputs are ignored.
      const next = tokens.map((token, row) => token ?? history[row]![history[row]!.length - 1]!);
      input = tensor(next, [batch.batch, 1], 'i32', backend);
    }
  } finally {
    input?.dispose();
    cache.dispose();
  }
}

export async function generate(
  model: FalconH1ForCausalLM,
  prompts: readonly (readonly number[])[],
  options: GenerationOptions & { onToken?(step: GenerationStep): void },
): Promise<GenerationResult> {
  const sequences: number[][] = prompts.map(() => []);
  const finishReasons: FinishReason[] = prompts.map(() => 'length');
  for await (const step of generateStream(model, prompts, options)) {
    step.tokens.forEach((token, row) => {
      if (token === undefined) return;
      sequences[row]!.push(token);
      if (step.finished[row]) finishReasons[row] = 'stop';
    });
    options.onToken?.(step);
  }
  return { sequences, finishReasons };
}

/**
 * What the playground page computes, independent of the DOM: one forward of a batch of token rows (the logits of
 * every position, and the greedy next token of each row), then greedy generation from a batch of prompts through
 * the hybrid cache. The logits are read back once (the user looks at them); generation reads one row of logits
 * per step, the least `generate` samples from.
 */
import { argMax, memory, sliceAxis, tensor, tidy } from '@falcon-h1/core-tensor';
import { type FalconH1ForCausalLM, generate } from '@falcon-h1/hybrid-block';

export interface PlaygroundRequest {
  /** Rows of token ids for the forward (all the same length). */
  ids: number[][];
  /** Prompts to continue greedily (any lengths); none: no generation. */
  prompts: number[][];
  /** Tokens to generate per prompt. */
  newTokens: number;
  /** Stop tokens are not chosen before this many new tokens (transformers' min_new_tokens). Default 0. */
  minNewTokens?: number;
}

export interface PlaygroundResult {
  /** [B, T, V] of the forward. */
  logitsShape: [number, number, number];
  /** The forward's logits, row-major. */
  logits: Float32Array;
  /** Per row: the greedy next token after its last position. */
  nextTokens: number[];
  /** Per prompt: the generated tokens. */
  generated: number[][];
  /** Tensors left alive by the run (0 unless something leaks). */
  leakedTensors: number;
  ms: { forward: number; generate: number };
}

/** Token rows from text: rows separated by ';' or new lines, ids by ',' or spaces. Throws naming a bad id. */
export function parseTokenRows(text: string, vocabSize: number, what: string): number[][] {
  const rows = text
    .split(/[;\n]/)
    .map((row) => row.trim())
    .filter(Boolean);
  return rows.map((row, r) =>
    row.split(/[\s,]+/).map((word) => {
      const id = Number(word);
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new Error(`${what}, row ${r + 1}: '${word}' is not a token id in [0, ${vocabSize})`);
      }
      return id;
    }),
  );
}

export async function runPlayground(model: FalconH1ForCausalLM, request: PlaygroundRequest): Promise<PlaygroundResult> {
  const { ids } = request;
  if (ids.length === 0) throw new Error('the forward needs at least one row of token ids');
  const t = ids[0]!.length;
  if (t === 0 || ids.some((row) => row.length !== t)) {
    throw new Error(
      `the forward's rows must be non-empty and of one length, got ${ids.map((r) => r.length).join(', ')}`,
    );
  }
  const before = memory().numTensors;
  const backend = model.lm_head.weight.backend;
  const started = performance.now();
  const { logits, next } = tidy(() => {
    const logits = model.forward(tensor(ids.flat(), [ids.length, t], 'i32', backend)).logits;
    return { logits, next: argMax(sliceAxis(logits, 1, t - 1, 1), -1) };
  });
  const values = (await logits.data()) as ArrayLike<number>;
  const nextTokens = Array.from(await next.data(), Number);
  logits.dispose();
  next.dispose();
  const forwardMs = performance.now() - started;
  const generateStarted = performance.now();
  const generated =
    request.prompts.length > 0
      ? (
          await generate(model, request.prompts, {
            maxNewTokens: request.newTokens,
            minNewTokens: request.minNewTokens ?? 0,
          })
        ).sequences
      : [];
  return {
    logitsShape: [ids.length, t, model.config.vocab_size],
    logits: Float32Array.from(values),
    nextTokens,
    generated,
    leakedTensors: memory().numTensors - before,
    ms: { forward: forwardMs, generate: performance.now() - generateStarted },
  };
}

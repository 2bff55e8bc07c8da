/**
 * Choosing the next token from one row of logits, with the logits processors of transformers' `generate` in its
 * order: repetition penalty, min-new-tokens (stop tokens forbidden until then), and — when sampling — temperature,
 * top-k, top-p, then a draw. Greedy decoding (temperature 0, the default) takes the first maximum, as torch.argmax.
 * It runs on the host over the logits the model read back: one row of V floats per step.
 */
import type { SeededRandom } from '../seeded-random.js';

export interface SamplingOptions {
  /** 0 (default): greedy. Otherwise logits are divided by it and a token is drawn. */
  temperature?: number;
  /** Keep the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or undefined: all). */
  topP?: number;
  /** > 1 discourages tokens already in the row (prompt included), as transformers' RepetitionPenaltyLogitsProcessor. */
  repetitionPenalty?: number;
}

export function validateSamplingOptions(options: SamplingOptions): void {
  const { temperature = 0, topK = 0, topP = 1, repetitionPenalty = 1 } = options;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new Error(`temperature must be a finite number ≥ 0, got ${temperature}`);
  }
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`topK must be an integer ≥ 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1], got ${topP}`);
  if (!(repetitionPenalty > 0) || !Number.isFinite(repetitionPenalty)) {
    throw new Error(`repetitionPenalty must be a finite number > 0, got ${repetitionPenalty}`);
  }
}

/** Index of the first maximum (NaN counts as the largest, like the contract's ArgMax). */
export function argMaxOf(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    const b = values[best]!;
    if (Number.isNaN(b)) break;
    if (v > b || Number.isNaN(v)) best = i;
  }
  return best;
}

/**
 * Picks the next token from `logits` (one row, V values; not modified). `history` holds the row's tokens so far
 * (prompt and generated) for the repetition penalty; `forbidden` the tokens that must not be chosen yet.
 */
export function chooseToken(
  logits: ArrayLike<number>,
  history: readonly number[],
  options: SamplingOptions,
  rng: SeededRandom,
  forbidden: readonly number[] = [],
): number {
  const scores = Float64Array.from(logits as ArrayLike<number>);
  const penalty = options.repetitionPenalty ?? 1;
  if (penalty !== 1) {
    for (const id of new Set(history)) {
      if (id < 0 || id >= scores.length) continue;
      const s = scores[id]!;
      scores[id] = s < 0 ? s * penalty : s / penalty;
    }
  }
  for (const id of forbidden) if (id >= 0 && id < scores.length) scores[id] = Number.NEGATIVE_INFINITY;
  const temperature = options.temperature ?? 0;
  if (temperature === 0) return argMaxOf(scores);

  for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / temperature;
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  let kept = order.length;
  const topK = options.topK ?? 0;
  if (topK > 0 && topK < kept) {
    // Ties with the k-th score stay in, as transformers' TopKLogitsWarper keeps every score ≥ the k-th.
    const threshold = scores[order[topK - 1]!]!;
    while (kept > topK && scores[order[kept - 1]!]! < threshold) kept--;
  }
  const max = scores[order[0]!]!;
  const weights = order.slice(0, kept).map((id) => Math.exp(scores[id]! - max));
  const total = weights.reduce((a, b) => a + b, 0);
  const topP = options.topP ?? 1;
  if (topP < 1) {
    // The smallest prefix (most likely first) whose probability reaches topP; at least one token.
    let cumulative = 0;
    let prefix = 0;
    while (prefix < weights.length) {
      cumulative += weights[prefix]! / total;
      prefix++;
      if (cumulative >= topP) break;
    }
    weights.length = prefix;
  }
  const mass = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * mass;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return order[i]!;
  }
  return order[weights.length - 1]!;
}

/**
 * Per-request token choice. OpenAI's presence and frequency penalties act on the raw logits first (over the tokens
 * generated so far, not the prompt, as OpenAI documents them):
 *   logit[j] -= frequency_penalty · count[j] + presence_penalty · (count[j] > 0)
 * then hybrid-block's `chooseToken` does the rest (greedy at temperature 0, else temperature, top-k, top-p and a
 * seeded draw), so the server and `generate` choose tokens the same way.
 */
import { chooseToken, type SeededRandom, seededRandom } from '@falcon-h1/hybrid-block';

export interface SamplingParams {
  /** 0: greedy. */
  temperature: number;
  topP: number;
  /** 0: no top-k cut. */
  topK: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** Seed of the draw; a request without one gets a random seed. */
  seed: number;
}

export class Sampler {
  private readonly rng: SeededRandom;
  private readonly counts = new Map<number, number>();

  constructor(readonly params: SamplingParams) {
    this.rng = seededRandom(params.seed);
  }

  /** Chooses the next token from one row of logits and records it for the penalties. */
  next(logits: ArrayLike<number>): number {
    const { presencePenalty, frequencyPenalty } = this.params;
    let scores: ArrayLike<number> = logits;
    if ((presencePenalty !== 0 || frequencyPenalty !== 0) && this.counts.size > 0) {
      const penalised = Float64Array.from(logits);
      for (const [id, count] of this.counts)
        penalised[id] = penalised[id]! - frequencyPenalty * count - presencePenalty;
      scores = penalised;
    }
    const token = chooseToken(
      scores,
      [],
      { temperature: this.params.temperature, topK: this.params.topK, topP: this.params.topP },
      this.rng,
    );
    this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
    return token;
  }
}

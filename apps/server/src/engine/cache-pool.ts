/**
 * The memory budget of the sequences' caches. A sequence is admitted (leaves the queue for prefill) only when the
 * decode batch, with it, still fits the budget at its worst: every admitted sequence padded to the longest
 * reservation (prompt + max_tokens) of them all, plus every sequence's fixed Mamba2 state. So no mix of requests
 * can grow the caches past the budget; what does not fit waits in the bounded queue.
 *
 * The budget counts the cache that lives between steps; while the batch cache is re-assembled the old and the new
 * one coexist for a moment (at most twice the budget).
 */
import type { CacheFootprint } from './cache-footprint.js';

export class CachePool {
  constructor(
    readonly footprint: CacheFootprint,
    readonly budgetBytes: number,
    /** Rows of the decode batch at most, whatever the budget says. */
    readonly maxSequences: number,
  ) {}

  /** Bytes of a batch of `count` sequences padded to `longest` positions. */
  bytesFor(count: number, longest: number): number {
    return count * (longest * this.footprint.bytesPerToken + this.footprint.bytesPerSequence);
  }

  /** Whether one sequence reserving `tokens` positions fits at all (else it could never be admitted). */
  fitsAlone(tokens: number): boolean {
    return this.bytesFor(1, tokens) <= this.budgetBytes;
  }

  /** Whether `candidate` tokens may join sequences that reserve `admitted` tokens each. */
  admits(admitted: readonly number[], candidate: number): boolean {
    if (admitted.length + 1 > this.maxSequences) return false;
    const longest = Math.max(candidate, ...admitted);
    return this.bytesFor(admitted.length + 1, longest) <= this.budgetBytes;
  }
}

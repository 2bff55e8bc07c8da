/**
 * One sequence the scheduler decodes: a prompt, its sampler, the tokens generated so far and where it stands.
 *
 *   waiting → prefilling (a row of a prefill cache: short prompts prefilled together, long ones alone chunk by chunk)
 *           → running (a row of the decode batch) → finished
 *
 * A sequence reports to its listener: every new token, then exactly one finish. `cancel()` (client gone, stop string
 * seen) only raises a flag; the scheduler removes the sequence and frees its cache at its next step.
 */
import type { FalconH1HybridCache } from '@falcon-h1/hybrid-block';
import { Sampler, type SamplingParams } from './sampler.js';

export type SequenceFinish = 'stop' | 'length' | 'cancelled' | 'error';

export interface SequenceRequest {
  promptIds: readonly number[];
  /** New tokens at most (the route checked promptIds.length + maxTokens ≤ the context). */
  maxTokens: number;
  sampling: SamplingParams;
  /** A sequence ends after producing one of these (the model's eos). */
  stopTokenIds: readonly number[];
}

export interface SequenceListener {
  token(id: number): void;
  finish(reason: SequenceFinish, error?: Error): void;
}

export type SequenceState = 'waiting' | 'prefilling' | 'running' | 'finished';

/**
 * A cache the rows of several sequences live in after one batched prefill, until each has joined the decode batch
 * or finished: freed when the last of them lets go.
 */
export class SharedCache {
  constructor(
    readonly cache: FalconH1HybridCache,
    private users: number,
  ) {}

  release(): void {
    if (--this.users === 0) this.cache.dispose();
  }
}

let nextId = 1;

export class Sequence {
  readonly id = nextId++;
  state: SequenceState = 'waiting';
  readonly generated: number[] = [];
  /** Prompt tokens already in the cache (prefill progress). */
  prefilled = 0;
  /** Positions in this sequence's cache: prompt, then every generated token fed back. */
  cachedLength = 0;
  /** The cache (and row) prefill fills; handed to the decode batch when prefill ends. */
  prefillCache: { shared: SharedCache; row: number } | undefined;
  private cancelled = false;
  readonly sampler: Sampler;
  readonly submittedAt = performance.now();
  private lastTokenAt: number | undefined;

  constructor(
    readonly request: SequenceRequest,
    private readonly listener: SequenceListener,
    private readonly onTiming?: (kind: 'first' | 'next', seconds: number) => void,
  ) {
    this.sampler = new Sampler(request.sampling);
  }

  /** Tokens the cache may hold at most: what the memory budget reserves for it. */
  get reservedTokens(): number {
    return this.request.promptIds.length + this.request.maxTokens;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  cancel(): void {
    this.cancelled = true;
  }

  /** Records a new token; returns the finish it causes, if any. */
  accept(token: number): SequenceFinish | undefined {
    this.generated.push(token);
    const now = performance.now();
    this.onTiming?.(
      this.lastTokenAt === undefined ? 'first' : 'next',
      (now - (this.lastTokenAt ?? this.submittedAt)) / 1000,
    );
    this.lastTokenAt = now;
    this.listener.token(token);
    if (this.request.stopTokenIds.includes(token)) return 'stop';
    if (this.generated.length >= this.request.maxTokens) return 'length';
    return undefined;
  }

  finish(reason: SequenceFinish, error?: Error): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    this.releasePrefillCache();
    this.listener.finish(reason, error);
  }

  releasePrefillCache(): void {
    this.prefillCache?.shared.release();
    this.prefillCache = undefined;
  }
}

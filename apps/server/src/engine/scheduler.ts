/**
 * Continuous batching. One loop runs while there is work; each iteration:
 *
 *   1. drops cancelled sequences (client gone, stop string seen) wherever they are, freeing their caches;
 *   2. admits queued sequences, oldest first, while the cache pool's budget allows;
 *   3. prefills admitted sequences, up to `prefillChunk` prompt tokens per iteration in all: short fresh prompts
 *      together as one left-padded batch, a long prompt alone in chunks over several iterations (so running
 *      streams keep getting tokens); a finished prefill samples the sequence's first token;
 *   4. runs one decode step for every running sequence as one [B, 1] call through the batch cache (re-assembled
 *      only when sequences joined or left), samples a token per row and retires finished rows.
 *
 * Between iterations it yields to the event loop, so new requests, disconnects and socket writes are served.
 * The queue is bounded: `submit` throws QueueFullError beyond it (HTTP 429).
 */
import { type Tensor, tensor, tidy } from '@falcon-h1/core-tensor';
import { type FalconH1ForCausalLM, type FalconH1HybridCache, leftPadBatch } from '@falcon-h1/hybrid-block';
import { assembleBatchCache, type CacheRowSource } from './batch-cache.js';
import { measureCacheFootprint } from './cache-footprint.js';
import { CachePool } from './cache-pool.js';
import { Sequence, type SequenceFinish, type SequenceListener, type SequenceRequest, SharedCache } from './sequence.js';

export interface SchedulerOptions {
  /** Sequences waiting for admission at most (default 256). */
  maxQueue?: number;
  /** Rows of the decode batch at most (default 64). */
  maxBatch?: number;
  /** Bytes the sequences' caches may use (default 1 GiB). */
  cacheBudgetBytes?: number;
  /** Prompt tokens prefilled per iteration at most (default 256). */
  prefillChunk?: number;
}

/** What the scheduler reports as it works (metrics). */
export interface SchedulerObserver {
  firstToken?(seconds: number): void;
  nextToken?(seconds: number): void;
  promptTokens?(count: number): void;
  generatedTokens?(count: number): void;
  /** One decode step ran over `rows` sequences. */
  decodeStep?(rows: number): void;
}

export class QueueFullError extends Error {}
export class RequestTooLargeError extends Error {}

interface DecodeBatch {
  cache: FalconH1HybridCache;
  rows: Sequence[];
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Scheduler {
  readonly pool: CachePool;
  readonly maxQueue: number;
  readonly prefillChunk: number;
  private readonly waiting: Sequence[] = [];
  private readonly prefilling: Sequence[] = [];
  private running: Sequence[] = [];
  private batch: DecodeBatch | undefined;
  private loop: Promise<void> | undefined;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    readonly model: FalconH1ForCausalLM,
    options: SchedulerOptions = {},
    private readonly observer: SchedulerObserver = {},
  ) {
    this.maxQueue = options.maxQueue ?? 256;
    this.prefillChunk = options.prefillChunk ?? 256;
    this.pool = new CachePool(
      measureCacheFootprint(model),
      options.cacheBudgetBytes ?? 2 ** 30,
      options.maxBatch ?? 64,
    );
  }

  get queueDepth(): number {
    return this.waiting.length;
  }

  /** Sequences admitted (prefilling or decoding). */
  get activeCount(): number {
    return this.prefilling.length + this.running.length;
  }

  /** Bytes the caches of the admitted sequences may reach (what admission reserved). */
  get reservedCacheBytes(): number {
    const admitted = this.admittedReservations();
    return admitted.length === 0 ? 0 : this.pool.bytesFor(admitted.length, Math.max(...admitted));
  }

  /**
   * Queues sequences (all or none: the n choices of one request). Throws RequestTooLargeError when one alone could
   * never fit the cache budget, QueueFullError when the queue has no room for them all.
   */
  submit(requests: ReadonlyArray<{ request: SequenceRequest; listener: SequenceListener }>): Sequence[] {
    for (const { request } of requests) {
      const tokens = request.promptIds.length + request.maxTokens;
      if (!this.pool.fitsAlone(tokens)) {
        throw new RequestTooLargeError(
          `a sequence of ${tokens} tokens (prompt + max_tokens) needs more cache memory than the server's budget of ${this.pool.budgetBytes} bytes`,
        );
      }
    }
    if (this.waiting.length + requests.length > this.maxQueue) {
      throw new QueueFullError(
        `the server is busy: ${this.waiting.length} requests are queued (at most ${this.maxQueue})`,
      );
    }
    const sequences = requests.map(
      ({ request, listener }) =>
        new Sequence(request, listener, (kind, seconds) =>
          kind === 'first' ? this.observer.firstToken?.(seconds) : this.observer.nextToken?.(seconds),
        ),
    );
    this.waiting.push(...sequences);
    // The loop starts on a later turn of the event loop: requests arriving together are admitted together, and
    // `submit` never runs the model inside the caller's request handler.
    this.loop ??= yieldToEventLoop()
      .then(() => this.run())
      .finally(() => {
        this.loop = undefined;
        for (const wake of this.idleWaiters.splice(0)) wake();
      });
    return sequences;
  }

  /** Resolves when no sequence is queued or active. */
  idle(): Promise<void> {
    if (!this.loop) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels every sequence (they finish 'cancelled' at the next step). */
  cancelAll(): void {
    for (const s of [...this.waiting, ...this.prefilling, ...this.running]) s.cancel();
  }

  private async run(): Promise<void> {
    while (this.waiting.length + this.prefilling.length + this.running.length > 0) {
      this.dropCancelled();
      this.admit();
      try {
        await this.prefillStep();
        await this.decodeStep();
      } catch (error) {
        this.failAll(error instanceof Error ? error : new Error(String(error)));
      }
      await yieldToEventLoop();
    }
    this.dropBatch();
  }

  private admittedReservations(): number[] {
    return [...this.prefilling, ...this.running].map((s) => s.reservedTokens);
  }

  private dropCancelled(): void {
    const keep = (list: Sequence[]) => {
      const kept = list.filter((s) => !s.isCancelled);
      for (const s of list) if (s.isCancelled) s.finish('cancelled');
      return kept;
    };
    this.waiting.splice(0, this.waiting.length, ...keep(this.waiting));
    this.prefilling.splice(0, this.prefilling.length, ...keep(this.prefilling));
    this.running = keep(this.running);
  }

  private admit(): void {
    const admitted = this.admittedReservations();
    while (this.waiting.length > 0 && this.pool.admits(admitted, this.waiting[0]!.reservedTokens)) {
      const s = this.waiting.shift()!;
      s.state = 'prefilling';
      admitted.push(s.reservedTokens);
      this.prefilling.push(s);
    }
  }

  /**
   * Feeds up to `prefillChunk` prompt tokens (padding included), oldest admitted sequence first. Fresh prompts that
   * fit whole go together as one left-padded batch (hybrid-block's document semantics: each row as if alone); a
   * longer prompt is fed alone, a chunk at a time, continuing its own cache.
   */
  private async prefillStep(): Promise<void> {
    let budget = this.prefillChunk;
    while (budget > 0 && this.prefilling.length > 0) {
      const group = this.freshGroup(budget);
      if (group.length > 0) {
        budget -= group.length * Math.max(...group.map((s) => s.request.promptIds.length));
        await this.prefillTogether(group);
        continue;
      }
      const s = this.prefilling[0]!;
      const prompt = s.request.promptIds;
      const count = Math.min(budget, prompt.length - s.prefilled);
      budget -= count;
      s.prefillCache ??= { shared: new SharedCache(this.model.createCache(1), 1), row: 0 };
      const logits = this.forward(
        prompt.slice(s.prefilled, s.prefilled + count),
        [1, count],
        s.prefillCache.shared.cache,
      );
      s.prefilled += count;
      s.cachedLength = s.prefilled;
      if (s.prefilled < prompt.length) {
        logits.dispose();
        continue;
      }
      await this.startDecoding([s], logits);
      this.prefilling.shift();
    }
  }

  /** The oldest fresh sequences whose whole prompts, padded to the longest of them, fit `budget` tokens. */
  private freshGroup(budget: number): Sequence[] {
    const group: Sequence[] = [];
    let longest = 0;
    for (const s of this.prefilling) {
      const length = s.request.promptIds.length;
      if (s.prefilled > 0 || Math.max(longest, length) * (group.length + 1) > budget) break;
      group.push(s);
      longest = Math.max(longest, length);
    }
    return group;
  }

  private async prefillTogether(group: Sequence[]): Promise<void> {
    const prompts = group.map((s) => s.request.promptIds);
    const padded = leftPadBatch(prompts, this.model.config.pad_token_id ?? 0);
    const shared = new SharedCache(this.model.createCache(group.length), group.length);
    group.forEach((s, row) => {
      s.prefillCache = { shared, row };
      s.prefilled = s.cachedLength = s.request.promptIds.length;
    });
    const logits = this.forward(padded.ids, [padded.batch, padded.length], shared.cache, padded.seqIdx);
    await this.startDecoding(group, logits);
    this.prefilling.splice(0, group.length);
  }

  /**
   * Samples the first token of sequences whose prefill ended (`logits` [G, 1, V]); the unfinished start decoding.
   * The caller removes them from `prefilling` afterwards, so a failure here leaves them where `failAll` finds them.
   */
  private async startDecoding(group: Sequence[], logits: Tensor): Promise<void> {
    this.observer.promptTokens?.(group.reduce((n, s) => n + s.request.promptIds.length, 0));
    const values = await this.readLogits(logits);
    const vocab = this.model.config.vocab_size;
    for (const [row, s] of group.entries()) {
      const finish = s.isCancelled
        ? 'cancelled'
        : this.emit(s, s.sampler.next(values.subarray(row * vocab, (row + 1) * vocab)));
      if (finish) {
        s.finish(finish);
      } else {
        s.state = 'running';
        this.running.push(s);
      }
    }
  }

  private async decodeStep(): Promise<void> {
    if (this.running.length === 0) {
      this.dropBatch();
      return;
    }
    const batch = this.batchFor(this.running);
    const rows = batch.rows;
    const last = rows.map((s) => s.generated[s.generated.length - 1]!);
    const logits = this.forward(last, [rows.length, 1], batch.cache);
    this.observer.decodeStep?.(rows.length);
    for (const s of rows) s.cachedLength += 1;
    const values = await this.readLogits(logits);
    const vocab = this.model.config.vocab_size;
    rows.forEach((s, r) => {
      if (s.isCancelled || s.state === 'finished') return;
      const finish = this.emit(s, s.sampler.next(values.subarray(r * vocab, (r + 1) * vocab)));
      if (finish) s.finish(finish);
    });
    this.running = this.running.filter((s) => s.state !== 'finished');
  }

  private emit(s: Sequence, token: number): SequenceFinish | undefined {
    this.observer.generatedTokens?.(1);
    return s.accept(token);
  }

  /** The batch cache for `rows`, re-assembled when the running sequences changed since the last step. */
  private batchFor(rows: Sequence[]): DecodeBatch {
    const current = this.batch;
    if (current && current.rows.length === rows.length && current.rows.every((s, i) => s === rows[i])) return current;
    const sources: CacheRowSource[] = rows.map((s) => {
      const row = current ? current.rows.indexOf(s) : -1;
      if (row >= 0) return { cache: current!.cache, row, length: s.cachedLength };
      return { cache: s.prefillCache!.shared.cache, row: s.prefillCache!.row, length: s.cachedLength };
    });
    const cache = assembleBatchCache(sources);
    current?.cache.dispose();
    for (const s of rows) s.releasePrefillCache();
    this.batch = { cache, rows: [...rows] };
    return this.batch;
  }

  private dropBatch(): void {
    this.batch?.cache.dispose();
    this.batch = undefined;
  }

  private forward(
    ids: ArrayLike<number>,
    shape: [number, number],
    cache: FalconH1HybridCache,
    seqIdx?: ArrayLike<number>,
  ): Tensor {
    const backend = this.model.lm_head.weight.backend;
    const input = tensor(ids, shape, 'i32', backend);
    try {
      return tidy(() => this.model.forward(input, { cache, seqIdx, logitsToKeep: 1 }).logits);
    } finally {
      input.dispose();
    }
  }

  private async readLogits(logits: Tensor): Promise<Float32Array | Float64Array> {
    try {
      return (await logits.data()) as Float32Array | Float64Array;
    } finally {
      logits.dispose();
    }
  }

  /** A failed step (a backend error) ends every active sequence with the error; queued ones stay queued. */
  private failAll(error: Error): void {
    for (const s of [...this.prefilling, ...this.running]) s.finish('error', error);
    this.prefilling.length = 0;
    this.running = [];
    this.dropBatch();
  }
}

/**
 * PackedLoader: the training data iterator. Sources (text, JSONL, shards) are indexed once; then every
 * `next(rows, step)` packs documents — chosen token-weighted by the mixture at `step` (deficit-selector.ts), in a
 * per-epoch shuffled order per source (epoch-order.ts), tokenized on demand and framed by BOS/EOS — into full rows
 * with document ids and restarting positions. A document that does not fit is carried into the next row and the
 * next batch, so there is no padding. `state()` is a small JSON object; `PackedLoader.restore(options, state)`
 * continues with exactly the batches the uninterrupted loader would have produced.
 */
import { type BadInput, BadInputLog, type BadInputPolicy, formatBadInput } from './bad-input.js';
import type { LoaderReport, SourceReport } from './loader-report.js';
import { checkLoaderState, LOADER_STATE_VERSION, type LoaderState, type OpenDocumentState } from './loader-state.js';
import { DeficitSelector } from './mixture/deficit-selector.js';
import { type MixtureConfig, MixtureSchedule } from './mixture/mixture-schedule.js';
import { SourceCursor } from './mixture/source-cursor.js';
import type { PackedBatch, PackedSegment } from './packing/packed-batch.js';
import { FilePool } from './readers/file-pool.js';
import { BlockCache } from './shards/block-cache.js';
import type { SourceSpec } from './source-spec.js';
import type { DocumentSource, TextTokenizer } from './sources/document-source.js';
import { openSource } from './sources/open-source.js';

export interface PackedLoaderOptions {
  tokenizer: TextTokenizer;
  sources: readonly SourceSpec[];
  /** Token proportions per source name: constant, or moving from start to end over steps. Default: equal. */
  mixture?: MixtureConfig;
  /** Tokens per row (T). */
  seqLen: number;
  /** Seeds every epoch's shuffle. */
  seed: number;
  /** 'skip' (report and leave out) or 'refuse' (throw on the first bad input). */
  onBadInput: BadInputPolicy;
  /** Appended to every document (Falcon-H1: 11). Omit for none. */
  eosId?: number;
  /** Put before every document (Falcon-H1: 1). Omit for none. */
  bosId?: number;
  /** Called for each bad input skipped (e.g. to log it). */
  onBadInputSkipped?: (bad: BadInput) => void;
}

/** The document being packed: its tokens (BOS/EOS included) and how many are already in rows. */
interface OpenDocument extends OpenDocumentState {
  tokens: Int32Array;
}

function checkOptions(options: PackedLoaderOptions): void {
  if (!(Number.isInteger(options.seqLen) && options.seqLen > 0)) {
    throw new Error(`seqLen must be a positive integer, got ${options.seqLen}`);
  }
  if (!Number.isSafeInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  if (options.sources.length === 0) throw new Error('PackedLoader needs at least one source');
  const names = options.sources.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`two sources are named '${dup}'`);
  const vocab = options.tokenizer.getVocabSize(true);
  for (const [what, id] of [
    ['eosId', options.eosId],
    ['bosId', options.bosId],
  ] as const) {
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < vocab)) {
      throw new Error(`${what} ${id} is not an id of the tokenizer's vocabulary [0, ${vocab})`);
    }
  }
}

export class PackedLoader {
  private readonly bad: BadInputLog;
  private readonly pool = new FilePool();
  private readonly cache: BlockCache;
  private readonly schedule: MixtureSchedule;
  private opening: Promise<void> | null = null;
  private sources: DocumentSource[] = [];
  private cursors: SourceCursor[] = [];
  private selector: DeficitSelector;
  private current: OpenDocument | null = null;
  private servingBadInputs: BadInput[] = [];
  private emptyServed: number[];
  private batches = 0;
  private tokens = 0;
  private lastStep = 0;
  private busy = false;
  private readonly names: readonly string[];
  private cachedWeights: { step: number; exhausted: number; weights: Float64Array } | null = null;
  /** Per source, the document being read ahead. */
  private readonly readAhead: ({ document: number; tokens: Promise<Int32Array | BadInput> } | null)[] = [];

  /** Indexing starts at the first `next()` (or `ready()`); `PackedLoader.open` does both. */
  constructor(private readonly options: PackedLoaderOptions) {
    checkOptions(options);
    this.bad = new BadInputLog(options.onBadInput, options.onBadInputSkipped);
    this.cache = new BlockCache(this.pool);
    this.schedule = new MixtureSchedule(
      options.sources.map((s) => s.name),
      options.mixture,
    );
    this.selector = new DeficitSelector(options.sources.length);
    this.emptyServed = options.sources.map(() => 0);
    this.names = options.sources.map((s) => s.name);
  }

  static async open(options: PackedLoaderOptions): Promise<PackedLoader> {
    const loader = new PackedLoader(options);
    await loader.closingOnError(() => loader.ready());
    return loader;
  }

  /** A loader that continues exactly where the one that produced `state` was. */
  static async restore(options: PackedLoaderOptions, state: LoaderState): Promise<PackedLoader> {
    const loader = await PackedLoader.open(options);
    await loader.closingOnError(() => loader.applyState(state));
    return loader;
  }

  /** Runs `work`; if it throws, closes the files opened so far before rethrowing. */
  private async closingOnError(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Indexes every source (reporting bad input); idempotent. */
  ready(): Promise<void> {
    this.opening ??= this.openSources();
    return this.opening;
  }

  private async openSources(): Promise<void> {
    for (const spec of this.options.sources) {
      const source = await openSource(spec, this.options.tokenizer, this.bad, this.pool, this.cache);
      if (source.documentCount === 0) {
        const skipped = this.bad.skipped.filter((b) => b.source === spec.name);
        throw new Error(
          `source '${spec.name}' has no usable document${skipped.length ? `; bad inputs:\n  ${skipped.map(formatBadInput).join('\n  ')}` : ''}`,
        );
      }
      this.sources.push(source);
      this.cursors.push(
        new SourceCursor(spec.name, source.documentCount, this.options.seed, spec.shuffle ?? true, spec.maxEpochs),
      );
    }
  }

  private requireReady(what: string): void {
    if (this.sources.length !== this.options.sources.length) {
      throw new Error(`PackedLoader.${what}(): the loader is not open yet (await loader.ready() or next() first)`);
    }
  }

  private activeMask(): boolean[] {
    return this.cursors.map((c) => !c.exhausted);
  }

  /** The scheduled weights at `step`, recomputed only when the step or the set of active sources changes. */
  private weightsAt(step: number): Float64Array {
    const exhausted = this.cursors.reduce((n, c) => n + (c.exhausted ? 1 : 0), 0);
    const cached = this.cachedWeights;
    if (cached && cached.step === step && cached.exhausted === exhausted) return cached.weights;
    const weights = this.schedule.weightsAt(step, this.activeMask());
    this.cachedWeights = { step, exhausted, weights };
    return weights;
  }

  private frame(ids: Int32Array): Int32Array {
    const { bosId, eosId } = this.options;
    if (bosId === undefined && eosId === undefined) return ids;
    const out = new Int32Array(ids.length + (bosId !== undefined ? 1 : 0) + (eosId !== undefined ? 1 : 0));
    let at = 0;
    if (bosId !== undefined) out[at++] = bosId;
    out.set(ids, at);
    if (eosId !== undefined) out[at + ids.length] = eosId;
    return out;
  }

  /**
   * Reads (and frames) one indexed document; a bad input goes to the policy and gives null. Then starts reading the
   * source's next document, so its file read overlaps the packing of this one (a pure cache: what is served does
   * not depend on it).
   */
  private async readDocument(source: number, document: number): Promise<Int32Array | null> {
    const ahead = this.readAhead[source];
    const pending = ahead?.document === document ? ahead.tokens : this.sources[source]!.readTokens(document);
    this.readAhead[source] = null;
    const tokens = await pending;
    const next = this.cursors[source]?.peek();
    if (next !== undefined && next !== null) {
      const read = this.sources[source]!.readTokens(next);
      read.catch(() => {}); // awaited when used; a failure then surfaces there
      this.readAhead[source] = { document: next, tokens: read };
    }
    if (tokens instanceof Int32Array) return this.frame(tokens);
    this.bad.report(tokens);
    this.servingBadInputs.push(tokens);
    return null;
  }

  /** The next document under the mixture at `weights`, accounted to its source and the selector. */
  private async openNextDocument(step: number): Promise<OpenDocument> {
    for (;;) {
      const weights = this.weightsAt(step);
      const s = this.selector.choose(weights);
      const cursor = this.cursors[s]!;
      const next = cursor.next()!;
      const tokens = await this.readDocument(s, next.document);
      if (tokens === null) continue;
      if (tokens.length === 0) {
        this.emptyServed[s]!++;
        continue;
      }
      cursor.documentsServed++;
      cursor.tokensServed += tokens.length;
      this.selector.record(s, tokens.length, weights);
      return { source: s, document: next.document, epoch: next.epoch, offset: 0, tokens };
    }
  }

  /**
   * The next `rows × seqLen` tokens. `rows` may change from call to call (batch-size ramp); `step` drives the
   * mixture schedule. Calls must not overlap.
   */
  async next(rows: number, step: number): Promise<PackedBatch> {
    if (!(Number.isInteger(rows) && rows > 0)) throw new Error(`rows must be a positive integer, got ${rows}`);
    if (!(Number.isFinite(step) && step >= 0)) throw new Error(`step must be a finite number >= 0, got ${step}`);
    if (this.busy) throw new Error('PackedLoader.next() called while a previous call is still running');
    this.busy = true;
    try {
      await this.ready();
      return await this.pack(rows, step);
    } finally {
      this.busy = false;
    }
  }

  private async pack(rows: number, step: number): Promise<PackedBatch> {
    const t = this.options.seqLen;
    const inputIds = new Int32Array(rows * t);
    const seqIdx = new Int32Array(rows * t);
    const positions = new Int32Array(rows * t);
    const segments: PackedSegment[] = [];
    const tokensPerSource: Record<string, number> = Object.fromEntries(this.names.map((n) => [n, 0]));
    let documentsStarted = 0;
    for (let row = 0; row < rows; row++) {
      let column = 0;
      for (let docInRow = 0; column < t; docInRow++) {
        if (this.current === null) {
          this.current = await this.openNextDocument(step);
          documentsStarted++;
        }
        const doc = this.current;
        const n = Math.min(t - column, doc.tokens.length - doc.offset);
        const at = row * t + column;
        inputIds.set(doc.tokens.subarray(doc.offset, doc.offset + n), at);
        seqIdx.fill(docInRow, at, at + n);
        for (let i = 0; i < n; i++) positions[at + i] = i;
        const source = this.names[doc.source]!;
        segments.push({
          row,
          start: column,
          length: n,
          source,
          document: doc.document,
          epoch: doc.epoch,
          tokenOffset: doc.offset,
          documentTokens: doc.tokens.length,
        });
        tokensPerSource[source]! += n;
        doc.offset += n;
        column += n;
        if (doc.offset === doc.tokens.length) this.current = null;
      }
    }
    this.batches++;
    this.tokens += rows * t;
    this.lastStep = step;
    const w = this.weightsAt(step);
    const weights = Object.fromEntries(this.names.map((n, i) => [n, w[i]!]));
    return { rows, seqLen: t, step, inputIds, seqIdx, positions, tokensPerSource, documentsStarted, weights, segments };
  }

  /** JSON-serialisable; store it in the checkpoint. */
  state(): LoaderState {
    this.requireReady('state');
    const current = this.current && {
      source: this.current.source,
      document: this.current.document,
      epoch: this.current.epoch,
      offset: this.current.offset,
    };
    return {
      version: LOADER_STATE_VERSION,
      seed: this.options.seed,
      seqLen: this.options.seqLen,
      batches: this.batches,
      tokens: this.tokens,
      lastStep: this.lastStep,
      sources: this.cursors.map((c) => c.state()),
      mixture: this.selector.state(),
      current,
      servingBadInputs: this.servingBadInputs.map((b) => ({ ...b })),
      emptyServed: [...this.emptyServed],
    };
  }

  private async applyState(state: LoaderState): Promise<void> {
    checkLoaderState(state, this.options.seed, this.options.seqLen, this.cursors.length);
    for (const [i, s] of state.sources.entries()) this.cursors[i]!.restore(s);
    this.selector = new DeficitSelector(this.cursors.length, state.mixture);
    this.batches = state.batches;
    this.tokens = state.tokens;
    this.lastStep = state.lastStep;
    this.emptyServed = [...state.emptyServed];
    // Bad inputs met while serving before the checkpoint belong to the report of the resumed run too.
    this.servingBadInputs = state.servingBadInputs.map((b) => ({ ...b }));
    if (this.bad.policy === 'skip') this.bad.skipped.push(...this.servingBadInputs);
    this.current = null;
    if (state.current) {
      const { source, document, epoch, offset } = state.current;
      const tokens = await this.readDocument(source, document);
      if (tokens === null || offset > tokens.length) {
        throw new Error(
          `cannot resume: document ${document} of source '${this.names[source]}' no longer reads as it did`,
        );
      }
      this.current = { source, document, epoch, offset, tokens };
    }
  }

  /** Per-source accounting: documents, tokens, epochs, realised vs target share, bad inputs skipped. */
  report(): LoaderReport {
    this.requireReady('report');
    const active = this.activeMask();
    const weights = active.some((a) => a)
      ? this.schedule.weightsAt(this.lastStep, active)
      : new Float64Array(active.length);
    const served = this.cursors.reduce((sum, c) => sum + c.tokensServed, 0);
    const sources: SourceReport[] = this.cursors.map((c, i) => {
      const badInputs = this.bad.skipped.filter((b) => b.source === c.name);
      return {
        name: c.name,
        kind: this.options.sources[i]!.kind,
        files: this.sources[i]!.describe().files.length,
        documents: c.documents,
        emptyDocuments: this.sources[i]!.emptyDocuments + this.emptyServed[i]!,
        documentsServed: c.documentsServed,
        tokensServed: c.tokensServed,
        tokenShare: served > 0 ? c.tokensServed / served : 0,
        targetWeight: c.exhausted ? 0 : weights[i]!,
        epochsCompleted: c.epoch,
        epochProgress: c.epoch + c.position / c.documents,
        exhausted: c.exhausted,
        badInputs,
        badInputLines: badInputs.map(formatBadInput),
      };
    });
    return { batches: this.batches, tokens: this.tokens, lastStep: this.lastStep, sources };
  }

  /** Closes the files it holds open. */
  async close(): Promise<void> {
    await Promise.allSettled(this.readAhead.map((a) => a?.tokens));
    this.readAhead.length = 0;
    await Promise.all(this.sources.map((s) => s.close()));
    await this.pool.close();
  }
}

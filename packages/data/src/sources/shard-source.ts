/**
 * A source of tokenized shards: the shards' documents in file order, one global numbering over all shards
 * (a binary search over the shards' first document numbers finds the shard). A broken or missing shard is bad
 * input, reported with its file; the ids of every shard must fit the tokenizer's vocabulary.
 */
import type { BadInput, BadInputLog } from '../bad-input.js';
import type { FilePool } from '../readers/file-pool.js';
import type { BlockCache } from '../shards/block-cache.js';
import { ShardFormatError, TokenShardReader } from '../shards/token-shard-reader.js';
import type { SourceSpec } from '../source-spec.js';
import type { DocumentSource, SourceDescription } from './document-source.js';

export class ShardSource implements DocumentSource {
  readonly emptyDocuments = 0;

  private constructor(
    private readonly spec: SourceSpec,
    private readonly shards: readonly TokenShardReader[],
    /** shards.length + 1 prefix sums of document counts. */
    private readonly firstDocument: Float64Array,
  ) {}

  static async open(
    spec: SourceSpec,
    files: readonly string[],
    vocabSize: number,
    bad: BadInputLog,
    pool: FilePool,
    cache: BlockCache,
  ): Promise<ShardSource> {
    const shards: TokenShardReader[] = [];
    for (const file of files) {
      try {
        const shard = await TokenShardReader.open(file, pool, cache);
        if (shard.vocabSize > vocabSize) {
          bad.report({
            source: spec.name,
            file,
            reason: `shard vocabulary (${shard.vocabSize}) is larger than the tokenizer's (${vocabSize})`,
          });
          continue;
        }
        shards.push(shard);
      } catch (error) {
        if (!(error instanceof ShardFormatError)) throw error;
        bad.report({ source: spec.name, file: error.file, reason: error.message.slice(error.file.length + 2) });
      }
    }
    const first = new Float64Array(shards.length + 1);
    for (let s = 0; s < shards.length; s++) first[s + 1] = first[s]! + shards[s]!.documentCount;
    return new ShardSource(spec, shards, first);
  }

  get name(): string {
    return this.spec.name;
  }

  get documentCount(): number {
    return this.firstDocument[this.shards.length]!;
  }

  describe(): SourceDescription {
    return {
      name: this.spec.name,
      kind: 'shards',
      files: this.shards.map((s) => s.binPath),
      documents: this.documentCount,
    };
  }

  async readTokens(d: number): Promise<Int32Array | BadInput> {
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.firstDocument[mid]! <= d) lo = mid;
      else hi = mid - 1;
    }
    const shard = this.shards[lo]!;
    try {
      return await shard.readDocument(d - this.firstDocument[lo]!);
    } catch (error) {
      return {
        source: this.spec.name,
        file: shard.binPath,
        reason: `cannot read document ${d - this.firstDocument[lo]!}: ${(error as Error).message}`,
      };
    }
  }

  async close(): Promise<void> {}
}

/**
 * @falcon-h1/data: the training data pipeline. Text, JSONL and tokenized-shard sources; streaming tokenization;
 * packing into full rows with document ids (`seqIdx`) and restarting positions; a token-weighted mixture moving
 * from a start to an end composition; multi-epoch accounting; a deterministic, resumable iterator. Node only (it
 * reads files). See README.md.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/data';

export type { BadInput, BadInputPolicy } from './bad-input.js';
export { BadInputError, formatBadInput } from './bad-input.js';
export type { LoaderReport, SourceReport } from './loader-report.js';
export type { LoaderState, OpenDocumentState } from './loader-state.js';
export type { SelectorState } from './mixture/deficit-selector.js';
export { DeficitSelector } from './mixture/deficit-selector.js';
export { epochOrder } from './mixture/epoch-order.js';
export type { MixtureConfig, MixtureWeights, MovingMixture } from './mixture/mixture-schedule.js';
export { MixtureSchedule } from './mixture/mixture-schedule.js';
export type { CursorState } from './mixture/source-cursor.js';
export type { PackedLoaderOptions } from './packed-loader.js';
export { PackedLoader } from './packed-loader.js';
export type { PackedBatch, PackedSegment } from './packing/packed-batch.js';
export { FilePool } from './readers/file-pool.js';
export { readRawLines } from './readers/line-reader.js';
export { BlockCache } from './shards/block-cache.js';
export type { BinHeader, TokenDtype } from './shards/shard-format.js';
export { dtypeForVocabulary, indexPathOf } from './shards/shard-format.js';
export { ShardFormatError, TokenShardReader } from './shards/token-shard-reader.js';
export type { TokenShardWriterOptions } from './shards/token-shard-writer.js';
export { TokenShardWriter, writeTokenShard } from './shards/token-shard-writer.js';
export type { TokenizeToShardsOptions, TokenizeToShardsResult } from './shards/tokenize-to-shards.js';
export { tokenizeToShards } from './shards/tokenize-to-shards.js';
export type { SourceKind, SourceSpec, TextSplit } from './source-spec.js';
export { validateSourceSpec } from './source-spec.js';
export type { DocumentSource, SourceDescription, TextTokenizer } from './sources/document-source.js';
export { openSource } from './sources/open-source.js';

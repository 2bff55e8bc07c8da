/**
 * What a training source is: a name (the key of the mixture weights), a kind, and where its files are.
 *
 * - 'text': plain UTF-8 files; `textSplit` says what a document is: the whole file (default), each paragraph
 *   (lines separated by blank lines), or each non-blank line.
 * - 'jsonl': one JSON object per line; the document is the string at `field` (default "text"; a dotted path such as
 *   "meta.body" reaches into nested objects).
 * - 'shards': tokenized binary shards (`.bin` + `.idx`, see shards/shard-format.ts) written by `writeTokenShard` or
 *   `tokenizeToShards`; documents are token ids already, the tokenizer is not used.
 */

export type SourceKind = 'text' | 'jsonl' | 'shards';
export type TextSplit = 'file' | 'blank-line' | 'line';

export interface SourceSpec {
  name: string;
  kind: SourceKind;
  /** Files, directories (every file below, sorted; for shards every `.bin`) or `*`/`?` patterns in the file name. */
  paths: readonly string[];
  /** jsonl: the field holding the document text (default 'text'). */
  field?: string;
  /** text: what a document is (default 'file'). */
  textSplit?: TextSplit;
  /** Shuffle the document order of every epoch (default true). */
  shuffle?: boolean;
  /** After this many complete epochs the source leaves the mixture and the others are renormalised. */
  maxEpochs?: number;
}

const KINDS: readonly SourceKind[] = ['text', 'jsonl', 'shards'];
const SPLITS: readonly TextSplit[] = ['file', 'blank-line', 'line'];

/** Throws a clear error for a malformed spec (a configuration error, not bad input). */
export function validateSourceSpec(spec: SourceSpec): void {
  const label = `source '${spec.name}'`;
  if (typeof spec.name !== 'string' || spec.name === '') throw new Error('every source needs a non-empty name');
  if (!KINDS.includes(spec.kind))
    throw new Error(`${label}: kind must be one of ${KINDS.join(', ')}, got '${spec.kind}'`);
  if (!Array.isArray(spec.paths) || spec.paths.length === 0)
    throw new Error(`${label}: paths must list at least one path`);
  if (spec.textSplit !== undefined && !SPLITS.includes(spec.textSplit)) {
    throw new Error(`${label}: textSplit must be one of ${SPLITS.join(', ')}, got '${spec.textSplit}'`);
  }
  if (spec.maxEpochs !== undefined && !(Number.isInteger(spec.maxEpochs) && spec.maxEpochs > 0)) {
    throw new Error(`${label}: maxEpochs must be a positive integer, got ${spec.maxEpochs}`);
  }
}

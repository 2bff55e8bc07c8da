/**
 * A packed batch as the model consumes it: `rows × seqLen` token ids, document ids and positions, row-major.
 *
 * - `seqIdx` numbers the documents of a row 0, 1, 2, … in order; it changes exactly where a document ends, so the
 *   SSM state, the conv state and attention reset there (hybrid-block's `seqIdx` option) and the loss ignores
 *   the pair across the boundary.
 * - `positions` restart at 0 for each document in the row — identical to what the model derives from `seqIdx`
 *   when positions are omitted.
 * - A document longer than the space left is continued at the start of the next row (or the next batch: the
 *   packer carries it); the continuation is a new segment whose positions restart at 0 (see README, "packing").
 * Rows are always full: nothing is padded.
 */

export interface PackedSegment {
  row: number;
  /** Column of the segment's first token in the row. */
  start: number;
  length: number;
  /** Source name. */
  source: string;
  /** Document number within the source (file order). */
  document: number;
  /** The source epoch the document was served in. */
  epoch: number;
  /** Offset of the segment's first token within the document's token sequence (BOS/EOS included). */
  tokenOffset: number;
  /** Tokens of the whole document (BOS/EOS included). */
  documentTokens: number;
}

export interface PackedBatch {
  rows: number;
  seqLen: number;
  step: number;
  inputIds: Int32Array;
  seqIdx: Int32Array;
  positions: Int32Array;
  /** Tokens of this batch from each source. */
  tokensPerSource: Record<string, number>;
  /** Documents whose first token is in this batch. */
  documentsStarted: number;
  /** The target mixture weights at `step` (normalised over the active sources). */
  weights: Record<string, number>;
  segments: PackedSegment[];
}

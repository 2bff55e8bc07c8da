/**
 * The resumable state of a PackedLoader: plain JSON (numbers, strings, arrays), small whatever the corpus, meant to
 * be stored in the training checkpoint. The document being packed is stored by reference (source, document,
 * offset) and re-read on restore, not as tokens.
 */
import type { BadInput } from './bad-input.js';
import type { SelectorState } from './mixture/deficit-selector.js';
import type { CursorState } from './mixture/source-cursor.js';

export const LOADER_STATE_VERSION = 1;

export interface OpenDocumentState {
  source: number;
  document: number;
  epoch: number;
  /** Tokens of it already packed. */
  offset: number;
}

export interface LoaderState {
  version: number;
  seed: number;
  seqLen: number;
  batches: number;
  tokens: number;
  lastStep: number;
  sources: CursorState[];
  mixture: SelectorState;
  current: OpenDocumentState | null;
  /** Bad inputs met while serving (those met while indexing are found again on restore). */
  servingBadInputs: BadInput[];
  /** Documents served with no tokens at all (possible in shards without BOS/EOS), per source. */
  emptyServed: number[];
}

export function checkLoaderState(state: LoaderState, seed: number, seqLen: number, sourceCount: number): void {
  if (typeof state !== 'object' || state === null || state.version !== LOADER_STATE_VERSION) {
    throw new Error(`not a PackedLoader state of version ${LOADER_STATE_VERSION}`);
  }
  if (state.seed !== seed) throw new Error(`loader state was taken with seed ${state.seed}, options say ${seed}`);
  if (state.seqLen !== seqLen)
    throw new Error(`loader state was taken with seqLen ${state.seqLen}, options say ${seqLen}`);
  if (state.sources.length !== sourceCount) {
    throw new Error(`loader state has ${state.sources.length} sources, options ${sourceCount}`);
  }
}

/**
 * RoPE positions of a batch whose rows may hold several documents: positions restart at 0 in every document, so a
 * packed row rotates each document exactly as if it were alone. With a cache, the first document of a row may be
 * the continuation of the row's last cached document, whose positions then continue.
 */

export interface RowContinuation {
  /** Document id of the row's last cached token. */
  readonly document: number;
  /** Position the next token of that document takes. */
  readonly nextPosition: number;
}

/**
 * Positions [B·T] (row-major) for document ids [B·T]. A token continues its row's previous token's document when
 * the ids agree, else starts a new document at 0. `continuing[b]` describes what came before the first token.
 */
export function documentPositions(
  seqIdx: ArrayLike<number>,
  batch: number,
  length: number,
  continuing?: readonly (RowContinuation | undefined)[],
): Int32Array {
  if (seqIdx.length !== batch * length) {
    throw new Error(`documentPositions: ${seqIdx.length} document ids for a [${batch}, ${length}] batch`);
  }
  const out = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    let previousDocument = continuing?.[b]?.document;
    let next = continuing?.[b]?.nextPosition ?? 0;
    for (let t = 0; t < length; t++) {
      const document = seqIdx[b * length + t]!;
      if (document !== previousDocument) next = 0;
      out[b * length + t] = next++;
      previousDocument = document;
    }
  }
  return out;
}

/** Positions [B·T] of a batch without documents: start, start+1, … per row (start defaults to 0). */
export function sequentialPositions(batch: number, length: number, start: readonly number[] = []): Int32Array {
  const out = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) for (let t = 0; t < length; t++) out[b * length + t] = (start[b] ?? 0) + t;
  return out;
}

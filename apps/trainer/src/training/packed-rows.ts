/**
 * Host-side views of packed rows (@falcon-h1/data's PackedBatch): slicing a batch into micro-batches, and counting
 * the (t, t + 1) pairs the loss counts — those inside one document, which is how causalLmLoss averages, so that
 * micro-batch losses and gradients combine into exactly the mean over the whole batch.
 */

/** Token ids, document ids and positions of `rows` rows of `seqLen` tokens, row-major. */
export interface Rows {
  rows: number;
  seqLen: number;
  inputIds: Int32Array;
  seqIdx: Int32Array;
  positions: Int32Array;
}

/** Rows [first, first + count) of `batch` (views, no copy). */
export function sliceRows(batch: Rows, first: number, count: number): Rows {
  const from = first * batch.seqLen;
  const to = (first + count) * batch.seqLen;
  return {
    rows: count,
    seqLen: batch.seqLen,
    inputIds: batch.inputIds.subarray(from, to),
    seqIdx: batch.seqIdx.subarray(from, to),
    positions: batch.positions.subarray(from, to),
  };
}

/** The number of next-token predictions the loss averages over: pairs within one document. */
export function countedPairs(rows: Rows): number {
  let count = 0;
  for (let r = 0; r < rows.rows; r++) {
    const base = r * rows.seqLen;
    for (let t = 0; t + 1 < rows.seqLen; t++) if (rows.seqIdx[base + t] === rows.seqIdx[base + t + 1]) count++;
  }
  return count;
}

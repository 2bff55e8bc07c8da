/**
 * A training batch as host arrays, cut into the pieces the ranks of a layout own. Everything that depends on the
 * whole sequence — RoPE positions restarting per document, the next-token label of every position (which may sit
 * on the next rank), the number of counted tokens that normalises the loss — is computed once for the whole batch
 * before cutting, so that a piece computes exactly its share of the one-device loss.
 */
import { documentPositions, sequentialPositions } from '@falcon-h1/attention';
import { type Backend, dispose, type Tensor, tensor } from '@falcon-h1/core-tensor';
import { IGNORE_INDEX } from '@falcon-h1/hybrid-block';

export interface HostBatch {
  readonly batch: number;
  readonly length: number;
  /** Token ids [B·T]. */
  readonly ids: Int32Array;
  /** Document ids [B·T] of a packed batch. */
  readonly seqIdx?: Int32Array;
  /** RoPE positions [B·T]. */
  readonly positions: Int32Array;
  /** The label of each position: the next token of the same document, or IGNORE_INDEX. */
  readonly labels: Int32Array;
  /** Counted positions of the WHOLE batch (the loss is their mean), kept when the batch is cut. */
  readonly countedTokens: number;
}

/** The batch of `ids` [B·T] (and document ids): positions, next-token labels, counted tokens. */
export function hostBatch(
  ids: ArrayLike<number>,
  batch: number,
  length: number,
  seqIdx?: ArrayLike<number>,
): HostBatch {
  if (ids.length !== batch * length) throw new Error(`hostBatch: ${ids.length} ids for a [${batch}, ${length}] batch`);
  if (seqIdx && seqIdx.length !== ids.length) {
    throw new Error(`hostBatch: ${seqIdx.length} document ids for ${ids.length} tokens`);
  }
  const labels = new Int32Array(batch * length).fill(IGNORE_INDEX);
  let countedTokens = 0;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t + 1 < length; t++) {
      const i = b * length + t;
      if (seqIdx && seqIdx[i] !== seqIdx[i + 1]) continue; // never predict one document from another
      labels[i] = ids[i + 1]!;
      countedTokens++;
    }
  }
  return {
    batch,
    length,
    ids: Int32Array.from(ids),
    seqIdx: seqIdx ? Int32Array.from(seqIdx) : undefined,
    positions: seqIdx ? documentPositions(seqIdx, batch, length) : sequentialPositions(batch, length),
    labels,
    countedTokens,
  };
}

function cut(values: Int32Array, host: HostBatch, rows: [number, number], times: [number, number]): Int32Array {
  const out = new Int32Array((rows[1] - rows[0]) * (times[1] - times[0]));
  let k = 0;
  for (let b = rows[0]; b < rows[1]; b++) {
    out.set(values.subarray(b * host.length + times[0], b * host.length + times[1]), k);
    k += times[1] - times[0];
  }
  return out;
}

/** Rows [r0, r1) and positions [t0, t1) of the batch (a data-parallel or context-parallel piece). */
export function cutBatch(
  host: HostBatch,
  rows: [number, number],
  times: [number, number] = [0, host.length],
): HostBatch {
  return {
    batch: rows[1] - rows[0],
    length: times[1] - times[0],
    ids: cut(host.ids, host, rows, times),
    seqIdx: host.seqIdx && cut(host.seqIdx, host, rows, times),
    positions: cut(host.positions, host, rows, times),
    labels: cut(host.labels, host, rows, times),
    countedTokens: host.countedTokens,
  };
}

/** The piece `index` of `parts` equal pieces of `size` (refusing sizes that do not divide). */
export function evenRange(size: number, parts: number, index: number, what: string): [number, number] {
  if (size % parts !== 0) throw new Error(`${what}: ${size} does not split into ${parts} equal parts`);
  const n = size / parts;
  return [index * n, (index + 1) * n];
}

/** A batch's tensors on a backend. */
export interface TokenBatch {
  /** i32 [B, T] */
  readonly ids: Tensor;
  readonly positions: Tensor;
  readonly seqIdx?: Tensor;
  readonly labels: Tensor;
  readonly countedTokens: number;
}

export function tokenBatch(host: HostBatch, backend?: Backend): TokenBatch {
  const shape = [host.batch, host.length];
  return {
    ids: tensor(host.ids, shape, 'i32', backend),
    positions: tensor(host.positions, shape, 'i32', backend),
    seqIdx: host.seqIdx && tensor(host.seqIdx, shape, 'i32', backend),
    labels: tensor(host.labels, shape, 'i32', backend),
    countedTokens: host.countedTokens,
  };
}

export function disposeTokenBatch(batch: TokenBatch): void {
  dispose([batch.ids, batch.positions, batch.labels, ...(batch.seqIdx ? [batch.seqIdx] : [])]);
}

/**
 * Static KV caches of a decode step, shared by the AttentionDecodeStep cases (fused.ts) and the
 * ParallelMixersDecodeStep cases: the number of slots L, the slot each row writes (per row, or one for every row) and
 * per row the new token's document and position and the slots' documents as run-length pairs [id, count] (−1: empty).
 */

export interface DecodeRow {
  q: number;
  pos: number;
  k: Array<[number, number]>;
}

export interface DecodeCache {
  l: number;
  slots: number[];
  rows: DecodeRow[];
}

/** A row: its document q, the new token's position, then the slots' documents as runs [id, count]. */
export function row(q: number, pos: number, ...k: Array<[number, number]>): DecodeRow {
  return { q, pos, k };
}

/** The 0.5B decode test's cache: one row, 193 slots, the token at 129, the rest empty. */
export const HALF_B_CACHE: DecodeCache = {
  l: 193,
  slots: [129],
  rows: [row(1, 129, [1, 130], [-1, 63])],
};

/**
 * Five rows over 11 slots: slots per row, one outside the cache (11: no write), empty slots, rows whose document
 * follows another's (rows 1 and 4) and a full row (3).
 */
export const FIVE_ROWS_SHORT: DecodeCache = {
  l: 11,
  slots: [0, 10, 4, 11, 7],
  rows: [
    row(0, 0, [0, 1], [-1, 10]),
    row(2, 30, [1, 4], [2, 7]),
    row(0, 4, [0, 5], [-1, 6]),
    row(1, 11, [1, 11]),
    row(5, 2, [4, 5], [5, 3], [-1, 3]),
  ],
};

/** Five rows over 300 slots (two splits of 256 on GPUs, then their merge): first, last and middle slots written. */
export const FIVE_ROWS_LONG: DecodeCache = {
  l: 300,
  slots: [299, 0, 150, 256, 7],
  rows: [
    row(0, 299, [0, 300]),
    row(3, 0, [3, 1], [-1, 299]),
    row(1, 140, [0, 10], [1, 141], [-1, 149]),
    row(2, 256, [2, 257], [-1, 43]),
    row(4, 7, [4, 8], [-1, 292]),
  ],
};

/**
 * The same cache one token later: every row's position and slot one further, the new slot (where it is inside the
 * cache) joining the row's document. A row whose slot leaves the cache writes nothing and sees what it saw.
 */
export function nextToken({ l, slots, rows }: DecodeCache): DecodeCache {
  const next = slots.map((slot) => slot + 1);
  return {
    l,
    slots: next,
    rows: rows.map((r, b) => {
      const ids = r.k.flatMap(([id, count]) => new Array<number>(count).fill(id));
      const slot = next[next.length === 1 ? 0 : b]!;
      if (slot >= 0 && slot < l) ids[slot] = r.q;
      const k: Array<[number, number]> = [];
      for (const id of ids) {
        const last = k.at(-1);
        if (last && last[0] === id) last[1]++;
        else k.push([id, 1]);
      }
      return row(r.q, r.pos + 1, ...k);
    }),
  };
}

/**
 * Applies BPE merges to one word, exactly as Hugging Face's `Word::merge_all` does without dropout: repeatedly merge
 * the adjacent pair with the lowest merge rank, the leftmost one among equal ranks. Short words scan for the best
 * pair (cached pair ranks, no allocation); long ones use a heap, so a pathological 100 KB "word" stays n log n.
 */
import type { PairMap } from './pair-map.js';

/** Reusable per-word symbol arrays: id and [start, end) span of each symbol, linked as a list. */
export class SymbolBuffer {
  ids = new Int32Array(64);
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  prev = new Int32Array(64);
  next = new Int32Array(64);
  ranks = new Int32Array(64);
  length = 0;

  reset(): void {
    this.length = 0;
  }

  push(id: number, start: number, end: number): void {
    if (this.length === this.ids.length) this.grow();
    const n = this.length++;
    this.ids[n] = id;
    this.starts[n] = start;
    this.ends[n] = end;
  }

  private grow(): void {
    const size = this.ids.length * 2;
    for (const key of ['ids', 'starts', 'ends', 'prev', 'next', 'ranks'] as const) {
      const bigger = new Int32Array(size);
      bigger.set(this[key]);
      this[key] = bigger;
    }
  }
}

const HEAP_THRESHOLD = 48;
const lookupOut = new Int32Array(2);

/**
 * Merges the symbols of `buf` in place and compacts them: on return buf.ids/starts/ends[0, buf.length) hold the
 * final tokens.
 */
export function mergeSymbols(buf: SymbolBuffer, merges: PairMap): void {
  const n = buf.length;
  if (n < 2) return;
  if (n <= HEAP_THRESHOLD) mergeByScan(buf, merges);
  else mergeByHeap(buf, merges);
}

function mergeByScan(buf: SymbolBuffer, merges: PairMap): void {
  const { ids, starts, ends, next, ranks } = buf;
  const n = buf.length;
  for (let i = 0; i < n; i++) next[i] = i + 1 < n ? i + 1 : -1;
  for (let i = 0; i < n - 1; i++) ranks[i] = merges.rank(ids[i], ids[i + 1]);
  ranks[n - 1] = -1;
  const prev = buf.prev;
  for (let i = 0; i < n; i++) prev[i] = i - 1;
  while (true) {
    let best = -1;
    let bestRank = 0x7fffffff;
    for (let i = 0; i !== -1; i = next[i]) {
      const r = ranks[i];
      if (r >= 0 && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    const right = next[best];
    ids[best] = merges.merged(ids[best], ids[right]);
    ends[best] = ends[right];
    const after = next[right];
    next[best] = after;
    if (after !== -1) prev[after] = best;
    ranks[best] = after === -1 ? -1 : merges.rank(ids[best], ids[after]);
    const before = prev[best];
    if (before !== -1) ranks[before] = merges.rank(ids[before], ids[best]);
  }
  let w = 0;
  for (let i = 0; i !== -1; i = next[i]) {
    ids[w] = ids[i];
    starts[w] = starts[i];
    ends[w] = ends[i];
    w++;
  }
  buf.length = w;
}

// Heap entries: rank, position and expected merged id, in three parallel arrays ordered by (rank, position).
let heapRank = new Int32Array(256);
let heapPos = new Int32Array(256);
let heapNew = new Int32Array(256);

function mergeByHeap(buf: SymbolBuffer, merges: PairMap): void {
  const { ids, starts, ends, next, prev } = buf;
  const n = buf.length;
  const alive = buf.ranks; // reused as the liveness flag
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
    alive[i] = 1;
  }
  let size = 0;
  const push = (rank: number, pos: number, merged: number) => {
    if (size === heapRank.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      heapRank = grow(heapRank);
      heapPos = grow(heapPos);
      heapNew = grow(heapNew);
    }
    let k = size++;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (heapRank[parent] < rank || (heapRank[parent] === rank && heapPos[parent] < pos)) break;
      heapRank[k] = heapRank[parent];
      heapPos[k] = heapPos[parent];
      heapNew[k] = heapNew[parent];
      k = parent;
    }
    heapRank[k] = rank;
    heapPos[k] = pos;
    heapNew[k] = merged;
  };
  const popInto = (out: Int32Array) => {
    out[0] = heapRank[0];
    out[1] = heapPos[0];
    out[2] = heapNew[0];
    size--;
    const rank = heapRank[size];
    const pos = heapPos[size];
    const merged = heapNew[size];
    let k = 0;
    while (true) {
      let child = 2 * k + 1;
      if (child >= size) break;
      if (
        child + 1 < size &&
        (heapRank[child + 1] < heapRank[child] ||
          (heapRank[child + 1] === heapRank[child] && heapPos[child + 1] < heapPos[child]))
      ) {
        child++;
      }
      if (heapRank[child] > rank || (heapRank[child] === rank && heapPos[child] > pos)) break;
      heapRank[k] = heapRank[child];
      heapPos[k] = heapPos[child];
      heapNew[k] = heapNew[child];
      k = child;
    }
    heapRank[k] = rank;
    heapPos[k] = pos;
    heapNew[k] = merged;
  };
  for (let i = 0; i < n - 1; i++) {
    if (merges.lookup(ids[i], ids[i + 1], lookupOut)) push(lookupOut[0], i, lookupOut[1]);
  }
  const top = new Int32Array(3);
  while (size > 0) {
    popInto(top);
    const pos = top[1];
    if (!alive[pos]) continue;
    const right = next[pos];
    if (right === -1) continue;
    if (!merges.lookup(ids[pos], ids[right], lookupOut) || lookupOut[1] !== top[2]) continue;
    ids[pos] = top[2];
    ends[pos] = ends[right];
    alive[right] = 0;
    const after = next[right];
    next[pos] = after;
    if (after !== -1) prev[after] = pos;
    const before = prev[pos];
    if (before !== -1 && merges.lookup(ids[before], ids[pos], lookupOut)) push(lookupOut[0], before, lookupOut[1]);
    if (after !== -1 && merges.lookup(ids[pos], ids[after], lookupOut)) push(lookupOut[0], pos, lookupOut[1]);
  }
  let w = 0;
  for (let i = 0; i !== -1; i = next[i]) {
    ids[w] = ids[i];
    starts[w] = starts[i];
    ends[w] = ends[i];
    w++;
  }
  buf.length = w;
}

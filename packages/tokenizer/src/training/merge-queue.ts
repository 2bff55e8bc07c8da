/**
 * The priority queue of candidate merges of BPE training, ordered as Hugging Face's `Merge`: highest pair count
 * first, and among equal counts the smallest pair of ids (first id, then second). Each entry carries the set of
 * words where the pair was seen when it was pushed.
 */
export interface MergeCandidate {
  count: number;
  a: number;
  b: number;
  words: Set<number>;
}

function before(x: MergeCandidate, y: MergeCandidate): boolean {
  if (x.count !== y.count) return x.count > y.count;
  if (x.a !== y.a) return x.a < y.a;
  return x.b < y.b;
}

export class MergeQueue {
  private readonly heap: MergeCandidate[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(entry: MergeCandidate): void {
    const heap = this.heap;
    let k = heap.length;
    heap.push(entry);
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!before(entry, heap[parent])) break;
      heap[k] = heap[parent];
      k = parent;
    }
    heap[k] = entry;
  }

  pop(): MergeCandidate | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let k = 0;
      while (true) {
        let child = 2 * k + 1;
        if (child >= heap.length) break;
        if (child + 1 < heap.length && before(heap[child + 1], heap[child])) child++;
        if (!before(heap[child], last)) break;
        heap[k] = heap[child];
        k = child;
      }
      heap[k] = last;
    }
    return top;
  }
}

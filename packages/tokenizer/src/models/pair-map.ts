/**
 * An open-addressing hash map from a pair of token ids to (merge rank, merged id): the BPE merge table. Integer
 * keys in typed arrays keep a 280K-merge table at a few megabytes and a lookup at a couple of multiplies.
 */
export class PairMap {
  private keys: Int32Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.keys = new Int32Array(capacity * 2).fill(-1);
    this.values = new Int32Array(capacity * 2);
  }

  private slotOf(a: number, b: number): number {
    let slot = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x632be5ab, 0x85ebca77)) >>> 0;
    slot = (slot ^ (slot >>> 15)) & this.mask;
    const keys = this.keys;
    while (true) {
      const ka = keys[2 * slot];
      if (ka === -1 || (ka === a && keys[2 * slot + 1] === b)) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Sets (or overwrites) the entry for (a, b). */
  set(a: number, b: number, rank: number, merged: number): void {
    const slot = this.slotOf(a, b);
    if (this.keys[2 * slot] === -1) {
      this.size++;
      this.keys[2 * slot] = a;
      this.keys[2 * slot + 1] = b;
    }
    this.values[2 * slot] = rank;
    this.values[2 * slot + 1] = merged;
  }

  /** The rank of the merge of (a, b), or -1 if there is none. */
  rank(a: number, b: number): number {
    const slot = this.slotOf(a, b);
    return this.keys[2 * slot] === -1 ? -1 : this.values[2 * slot];
  }

  /** The id the merge of (a, b) produces (only meaningful when rank(a, b) >= 0). */
  merged(a: number, b: number): number {
    return this.values[2 * this.slotOf(a, b) + 1];
  }

  /** Rank and merged id in one probe: writes them to out[0], out[1]; returns false if there is no merge. */
  lookup(a: number, b: number, out: Int32Array): boolean {
    const slot = this.slotOf(a, b);
    if (this.keys[2 * slot] === -1) return false;
    out[0] = this.values[2 * slot];
    out[1] = this.values[2 * slot + 1];
    return true;
  }
}

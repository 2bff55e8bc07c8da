/**
 * A cache from pre-tokenized words to their tokens, looked up by a range of the input string without slicing it:
 * the key is hashed in place and compared with `startsWith`, so a hit allocates nothing. Open addressing over a
 * power-of-two table; when it fills up it is emptied (results never depend on the cache).
 */
export class WordCache<V> {
  private keys: Array<string | undefined>;
  private hashes: Int32Array;
  private values: Array<V | undefined>;
  private mask: number;
  private count = 0;

  constructor(private readonly capacity: number) {
    let size = 1024;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.keys = new Array(size).fill(undefined);
    this.hashes = new Int32Array(size);
    this.values = new Array(size).fill(undefined);
  }

  /** The value cached for text[start, end), or undefined. `hash` must be WordCache.hash(text, start, end). */
  get(text: string, start: number, end: number, hash: number): V | undefined {
    const keys = this.keys;
    const length = end - start;
    let slot = hash & this.mask;
    while (true) {
      const key = keys[slot];
      if (key === undefined) return undefined;
      if (this.hashes[slot] === hash && key.length === length && text.startsWith(key, start)) return this.values[slot];
      slot = (slot + 1) & this.mask;
    }
  }

  set(key: string, hash: number, value: V): void {
    if (this.count >= this.capacity) this.clear();
    let slot = hash & this.mask;
    while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
    this.keys[slot] = key;
    this.hashes[slot] = hash;
    this.values[slot] = value;
    this.count++;
  }

  clear(): void {
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.count = 0;
  }

  /** FNV-1a over the UTF-16 units of text[start, end), finalised. */
  static hash(text: string, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12);
  }
}

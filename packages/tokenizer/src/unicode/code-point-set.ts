/**
 * A set of code points decoded from the generated range strings (see unicode-data.generated.ts), held as a bitset
 * over the whole code space (139 KB) so that a lookup is one shift and one mask. Decoded on first use.
 */
export class CodePointSet {
  private bits: Uint32Array | undefined;

  constructor(private readonly encodedRanges: string) {}

  has(cp: number): boolean {
    const bits = this.bits ?? this.decode();
    return (bits[cp >>> 5] & (1 << (cp & 31))) !== 0;
  }

  /** The [start, end) ranges, for building regex character classes. */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const parts = this.encodedRanges === '' ? [] : this.encodedRanges.split(',');
    let cursor = 0;
    for (let i = 0; i < parts.length; i += 2) {
      const start = cursor + Number.parseInt(parts[i], 36);
      const end = start + Number.parseInt(parts[i + 1], 36);
      out.push([start, end]);
      cursor = end;
    }
    return out;
  }

  private decode(): Uint32Array {
    const bits = new Uint32Array(0x110000 >>> 5);
    for (const [start, end] of this.ranges()) {
      for (let cp = start; cp < end; cp++) bits[cp >>> 5] |= 1 << (cp & 31);
    }
    this.bits = bits;
    return bits;
  }
}

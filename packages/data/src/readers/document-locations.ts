/**
 * Where each document of a text or JSONL source lies: file, byte range and first line, in growable typed arrays
 * (24 bytes a document, whatever the document's size), so a shuffled epoch can fetch any document by offset
 * without keeping the corpus in memory.
 */

export interface DocumentLocation {
  file: number;
  offset: number;
  byteLength: number;
  line: number;
}

export class DocumentLocations {
  private files = new Uint32Array(1024);
  private offsets = new Float64Array(1024);
  private lengths = new Float64Array(1024);
  private lines = new Uint32Array(1024);
  count = 0;

  push(location: DocumentLocation): void {
    if (this.count === this.files.length) {
      const grow = <T extends Uint32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.files = grow(this.files);
      this.offsets = grow(this.offsets);
      this.lengths = grow(this.lengths);
      this.lines = grow(this.lines);
    }
    const i = this.count++;
    this.files[i] = location.file;
    this.offsets[i] = location.offset;
    this.lengths[i] = location.byteLength;
    this.lines[i] = location.line;
  }

  get(i: number): DocumentLocation {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`document ${i} out of range [0, ${this.count})`);
    return { file: this.files[i]!, offset: this.offsets[i]!, byteLength: this.lengths[i]!, line: this.lines[i]! };
  }
}

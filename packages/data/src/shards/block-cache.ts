/**
 * A least-recently-used cache of fixed-size file blocks over positional reads: what a memory mapping gives for
 * free (Node has none in core), bounded — at most `maxBlocks × blockBytes` bytes are held whatever the shard size.
 * Neighbouring documents of a shard share blocks, so sequential and nearby reads hit the cache.
 */
import type { FilePool } from '../readers/file-pool.js';

export class BlockCache {
  private readonly blocks = new Map<string, Buffer>();

  constructor(
    private readonly pool: FilePool,
    readonly blockBytes = 1 << 16,
    readonly maxBlocks = 256,
  ) {}

  private async block(file: string, index: number, fileSize: number): Promise<Buffer> {
    const key = `${index}:${file}`;
    const hit = this.blocks.get(key);
    if (hit) {
      this.blocks.delete(key);
      this.blocks.set(key, hit);
      return hit;
    }
    const start = index * this.blockBytes;
    const block = await this.pool.read(file, start, Math.min(this.blockBytes, fileSize - start));
    if (this.blocks.size >= this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value as string);
    this.blocks.set(key, block);
    return block;
  }

  /** `length` bytes at `offset` of a file of `fileSize` bytes. */
  async read(file: string, offset: number, length: number, fileSize: number): Promise<Buffer> {
    if (offset + length > fileSize) throw new RangeError(`read past the end of ${file}`);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const index = Math.floor(at / this.blockBytes);
      const block = await this.block(file, index, fileSize);
      const from = at - index * this.blockBytes;
      const n = Math.min(block.length - from, length - done);
      block.copy(out, done, from, from + n);
      done += n;
    }
    return out;
  }

  /** Blocks held now (for tests of the bound). */
  get size(): number {
    return this.blocks.size;
  }
}

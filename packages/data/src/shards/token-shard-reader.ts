/**
 * Reads a token shard lazily: the index (8 bytes a document) is loaded at open and checked against the `.bin`
 * header and size; token ids are fetched per document through a block cache of positional reads, so a shard of
 * any size costs only its index and the cache in memory.
 */
import { readFile, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { FilePool } from '../readers/file-pool.js';
import type { BlockCache } from './block-cache.js';
import { BIN_HEADER_BYTES, decodeBinHeader, decodeIdxHeader, IDX_HEADER_BYTES, indexPathOf } from './shard-format.js';

const LITTLE_ENDIAN = endianness() === 'LE';

export class ShardFormatError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ShardFormatError';
  }
}

export class TokenShardReader {
  private constructor(
    readonly binPath: string,
    readonly bytesPerToken: 2 | 4,
    readonly vocabSize: number,
    readonly tokenCount: number,
    /** documentCount + 1 token offsets. */
    private readonly offsets: Float64Array,
    private readonly fileSize: number,
    private readonly cache: BlockCache,
  ) {}

  /** Opens and validates a shard; throws `ShardFormatError` naming the file and the problem. */
  static async open(binPath: string, pool: FilePool, cache: BlockCache): Promise<TokenShardReader> {
    const idxPath = indexPathOf(binPath);
    const binSize = await stat(binPath).then(
      (s) => s.size,
      () => {
        throw new ShardFormatError(binPath, 'missing file');
      },
    );
    const header = decodeBinHeader(await pool.read(binPath, 0, Math.min(BIN_HEADER_BYTES, binSize)));
    if (typeof header === 'string') throw new ShardFormatError(binPath, header);
    const expectedSize = BIN_HEADER_BYTES + header.tokenCount * header.bytesPerToken;
    if (binSize !== expectedSize) {
      throw new ShardFormatError(
        binPath,
        `is ${binSize} bytes, its header says ${expectedSize} (truncated or unfinished?)`,
      );
    }
    let idxBytes: Buffer;
    try {
      idxBytes = await readFile(idxPath);
    } catch {
      throw new ShardFormatError(idxPath, 'missing index file');
    }
    const idxHeader = decodeIdxHeader(idxBytes);
    if (typeof idxHeader === 'string') throw new ShardFormatError(idxPath, idxHeader);
    if (idxHeader.documentCount !== header.documentCount || idxHeader.tokenCount !== header.tokenCount) {
      throw new ShardFormatError(
        idxPath,
        `index counts (${idxHeader.documentCount} documents, ${idxHeader.tokenCount} tokens) differ from the shard's`,
      );
    }
    const n = header.documentCount + 1;
    if (idxBytes.length !== IDX_HEADER_BYTES + n * 8) {
      throw new ShardFormatError(idxPath, `is ${idxBytes.length} bytes, expected ${IDX_HEADER_BYTES + n * 8}`);
    }
    const offsets = new Float64Array(n);
    for (let d = 0; d < n; d++) {
      offsets[d] = Number(idxBytes.readBigUInt64LE(IDX_HEADER_BYTES + d * 8));
      if (d > 0 && offsets[d]! < offsets[d - 1]!)
        throw new ShardFormatError(idxPath, `offsets decrease at document ${d - 1}`);
    }
    if (offsets[0] !== 0 || offsets[n - 1] !== header.tokenCount) {
      throw new ShardFormatError(idxPath, 'offsets do not span the shard (first must be 0, last the token count)');
    }
    return new TokenShardReader(
      binPath,
      header.bytesPerToken,
      header.vocabSize,
      header.tokenCount,
      offsets,
      binSize,
      cache,
    );
  }

  get documentCount(): number {
    return this.offsets.length - 1;
  }

  documentLength(d: number): number {
    return this.offsets[d + 1]! - this.offsets[d]!;
  }

  async readDocument(d: number): Promise<Int32Array> {
    if (!(Number.isInteger(d) && d >= 0 && d < this.documentCount)) {
      throw new RangeError(`${this.binPath}: document ${d} out of range [0, ${this.documentCount})`);
    }
    const start = this.offsets[d]!;
    const length = this.documentLength(d);
    const bytes = await this.cache.read(
      this.binPath,
      BIN_HEADER_BYTES + start * this.bytesPerToken,
      length * this.bytesPerToken,
      this.fileSize,
    );
    const out = new Int32Array(length);
    if (LITTLE_ENDIAN && bytes.byteOffset % this.bytesPerToken === 0) {
      // The ids are little-endian like the machine: view them in place and widen in one copy.
      const View = this.bytesPerToken === 2 ? Uint16Array : Uint32Array;
      out.set(new View(bytes.buffer as ArrayBuffer, bytes.byteOffset, length));
    } else if (this.bytesPerToken === 2) {
      for (let i = 0; i < length; i++) out[i] = bytes.readUInt16LE(i * 2);
    } else {
      for (let i = 0; i < length; i++) out[i] = bytes.readUInt32LE(i * 4);
    }
    return out;
  }
}

/**
 * Writes one token shard (`.bin` + `.idx`, see shard-format.ts) as a stream: documents are appended one at a time
 * through 1 MiB buffers, and the headers (which hold the counts) are written last, at offset 0. Ids are checked
 * against the dtype and the vocabulary, so a shard never holds an id the model cannot embed.
 */
import { type FileHandle, open } from 'node:fs/promises';
import {
  BIN_HEADER_BYTES,
  bytesPerToken,
  encodeBinHeader,
  encodeIdxHeader,
  IDX_HEADER_BYTES,
  indexPathOf,
  type TokenDtype,
} from './shard-format.js';

export interface TokenShardWriterOptions {
  /** Default 'u16' when the vocabulary fits 65,536 ids, else 'u32'. */
  dtype?: TokenDtype;
  /** Recorded in the header; every id must be below it. */
  vocabSize: number;
}

/** Buffers sequential writes to a file handle from a given position. */
class SequentialWriter {
  private buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;

  constructor(
    private readonly handle: FileHandle,
    private position: number,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > this.buffer.length) await this.flush();
    if (bytes.length > this.buffer.length) {
      await this.handle.write(bytes, 0, bytes.length, this.position);
      this.position += bytes.length;
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.handle.write(this.buffer, 0, this.used, this.position);
    this.position += this.used;
    this.used = 0;
  }
}

export class TokenShardWriter {
  private tokenCount = 0;
  private documentCount = 0;
  private closed = false;

  private constructor(
    readonly binPath: string,
    private readonly bin: FileHandle,
    private readonly idx: FileHandle,
    private readonly binOut: SequentialWriter,
    private readonly idxOut: SequentialWriter,
    readonly dtype: TokenDtype,
    readonly vocabSize: number,
  ) {}

  /** Creates (or truncates) `binPath` and its `.idx`. */
  static async create(binPath: string, options: TokenShardWriterOptions): Promise<TokenShardWriter> {
    if (!(Number.isInteger(options.vocabSize) && options.vocabSize > 0)) {
      throw new Error(`writeTokenShard: vocabSize must be a positive integer, got ${options.vocabSize}`);
    }
    const dtype = options.dtype ?? (options.vocabSize <= 0x10000 ? 'u16' : 'u32');
    if (dtype === 'u16' && options.vocabSize > 0x10000) {
      throw new Error(`writeTokenShard: a vocabulary of ${options.vocabSize} ids does not fit u16`);
    }
    const bin = await open(binPath, 'w');
    const idx = await open(indexPathOf(binPath), 'w');
    const writer = new TokenShardWriter(
      binPath,
      bin,
      idx,
      new SequentialWriter(bin, BIN_HEADER_BYTES),
      new SequentialWriter(idx, IDX_HEADER_BYTES),
      dtype,
      options.vocabSize,
    );
    await writer.idxOut.write(offsetBytes(0));
    return writer;
  }

  get tokens(): number {
    return this.tokenCount;
  }

  get documents(): number {
    return this.documentCount;
  }

  async append(tokens: ArrayLike<number>): Promise<void> {
    if (this.closed) throw new Error(`${this.binPath}: append after close`);
    const width = bytesPerToken(this.dtype);
    const bytes = Buffer.allocUnsafe(tokens.length * width);
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i]!;
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
        throw new Error(
          `${this.binPath}: document ${this.documentCount} token ${i} is ${id}, outside [0, ${this.vocabSize})`,
        );
      }
      if (width === 2) bytes.writeUInt16LE(id, i * 2);
      else bytes.writeUInt32LE(id, i * 4);
    }
    await this.binOut.write(bytes);
    this.tokenCount += tokens.length;
    this.documentCount++;
    await this.idxOut.write(offsetBytes(this.tokenCount));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.binOut.flush();
    await this.idxOut.flush();
    const header = {
      bytesPerToken: bytesPerToken(this.dtype),
      vocabSize: this.vocabSize,
      tokenCount: this.tokenCount,
      documentCount: this.documentCount,
    };
    await this.bin.write(encodeBinHeader(header), 0, BIN_HEADER_BYTES, 0);
    await this.idx.write(encodeIdxHeader(this.documentCount, this.tokenCount), 0, IDX_HEADER_BYTES, 0);
    await Promise.all([this.bin.close(), this.idx.close()]);
  }
}

function offsetBytes(offset: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64LE(BigInt(offset));
  return out;
}

/** Writes the documents (token id arrays, sync or async iterable) as one shard; returns its counts. */
export async function writeTokenShard(
  binPath: string,
  documents: Iterable<ArrayLike<number>> | AsyncIterable<ArrayLike<number>>,
  options: TokenShardWriterOptions,
): Promise<{ binPath: string; documents: number; tokens: number }> {
  const writer = await TokenShardWriter.create(binPath, options);
  try {
    for await (const doc of documents) await writer.append(doc);
  } finally {
    await writer.close();
  }
  return { binPath, documents: writer.documents, tokens: writer.tokens };
}

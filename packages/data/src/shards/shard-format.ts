/**
 * The tokenized shard format: two little-endian files per shard.
 *
 * `<name>.bin` — a 64-byte header, then the token ids of every document back to back:
 *   0  magic "FH1TOKEN" (8 ASCII bytes)      8  version u32 (1)      12  bytes per token u32 (2 = u16, 4 = u32)
 *   16 vocabulary size u32 (0 = unknown)     20 reserved u32 (0)     24  token count u64     32  document count u64
 *   40..63 reserved (0)
 * `<name>.idx` — a 32-byte header, then document count + 1 token offsets u64 (the first is 0, the last the token
 * count): document d is tokens [offset[d], offset[d + 1]).
 *   0  magic "FH1TKIDX"   8  version u32 (1)   12  reserved u32 (0)   16  document count u64   24  token count u64
 *
 * Documents hold their tokens only; BOS/EOS are added by the loader, as for text sources.
 */

export const SHARD_VERSION = 1;
export const BIN_MAGIC = 'FH1TOKEN';
export const IDX_MAGIC = 'FH1TKIDX';
export const BIN_HEADER_BYTES = 64;
export const IDX_HEADER_BYTES = 32;

export type TokenDtype = 'u16' | 'u32';

export function bytesPerToken(dtype: TokenDtype): 2 | 4 {
  return dtype === 'u16' ? 2 : 4;
}

/** The smallest dtype that holds every id of a vocabulary. */
export function dtypeForVocabulary(vocabSize: number): TokenDtype {
  return vocabSize <= 0x10000 ? 'u16' : 'u32';
}

/** The index file that goes with a `.bin` file. */
export function indexPathOf(binPath: string): string {
  return binPath.endsWith('.bin') ? `${binPath.slice(0, -4)}.idx` : `${binPath}.idx`;
}

export interface BinHeader {
  bytesPerToken: 2 | 4;
  vocabSize: number;
  tokenCount: number;
  documentCount: number;
}

export function encodeBinHeader(header: BinHeader): Buffer {
  const out = Buffer.alloc(BIN_HEADER_BYTES);
  out.write(BIN_MAGIC, 0, 'ascii');
  out.writeUInt32LE(SHARD_VERSION, 8);
  out.writeUInt32LE(header.bytesPerToken, 12);
  out.writeUInt32LE(header.vocabSize, 16);
  out.writeBigUInt64LE(BigInt(header.tokenCount), 24);
  out.writeBigUInt64LE(BigInt(header.documentCount), 32);
  return out;
}

/** The header, or the reason it is not a shard header. */
export function decodeBinHeader(bytes: Buffer): BinHeader | string {
  if (bytes.length < BIN_HEADER_BYTES) return `too short for a shard header (${bytes.length} bytes)`;
  if (bytes.toString('ascii', 0, 8) !== BIN_MAGIC) return `not a token shard (magic is not ${BIN_MAGIC})`;
  const version = bytes.readUInt32LE(8);
  if (version !== SHARD_VERSION) return `unsupported shard version ${version}`;
  const width = bytes.readUInt32LE(12);
  if (width !== 2 && width !== 4) return `unsupported token width ${width} bytes`;
  return {
    bytesPerToken: width,
    vocabSize: bytes.readUInt32LE(16),
    tokenCount: Number(bytes.readBigUInt64LE(24)),
    documentCount: Number(bytes.readBigUInt64LE(32)),
  };
}

export function encodeIdxHeader(documentCount: number, tokenCount: number): Buffer {
  const out = Buffer.alloc(IDX_HEADER_BYTES);
  out.write(IDX_MAGIC, 0, 'ascii');
  out.writeUInt32LE(SHARD_VERSION, 8);
  out.writeBigUInt64LE(BigInt(documentCount), 16);
  out.writeBigUInt64LE(BigInt(tokenCount), 24);
  return out;
}

export function decodeIdxHeader(bytes: Buffer): { documentCount: number; tokenCount: number } | string {
  if (bytes.length < IDX_HEADER_BYTES) return `too short for an index header (${bytes.length} bytes)`;
  if (bytes.toString('ascii', 0, 8) !== IDX_MAGIC) return `not a shard index (magic is not ${IDX_MAGIC})`;
  const version = bytes.readUInt32LE(8);
  if (version !== SHARD_VERSION) return `unsupported index version ${version}`;
  return { documentCount: Number(bytes.readBigUInt64LE(16)), tokenCount: Number(bytes.readBigUInt64LE(24)) };
}

/**
 * Streams the lines of a file as raw bytes with their 1-based line number and byte offset, never holding more
 * than one read chunk plus the current line. Bytes, not strings: UTF-8 is checked per line by the caller, so an
 * invalid sequence is reported at its line instead of being replaced by U+FFFD inside a decoding stream.
 */
import { createReadStream } from 'node:fs';

export interface RawLine {
  /** The line's bytes without its ending ("\n" or "\r\n"). */
  bytes: Buffer;
  /** 1-based. */
  line: number;
  /** Byte offset of the line's first byte in the file. */
  offset: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function withoutCarriageReturn(bytes: Buffer): Buffer {
  return bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.subarray(0, bytes.length - 1) : bytes;
}

export async function* readRawLines(file: string, chunkBytes = 1 << 20): AsyncGenerator<RawLine> {
  const stream = createReadStream(file, { highWaterMark: chunkBytes });
  let pending: Buffer[] = [];
  let line = 1;
  let lineOffset = 0;
  let fileOffset = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      yield { bytes: withoutCarriageReturn(bytes), line, offset: lineOffset };
      line++;
      lineOffset = fileOffset + nl + 1;
      start = nl + 1;
    }
    // Copy the tail: the stream may reuse nothing, but a subarray would pin the whole chunk.
    if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
    fileOffset += chunk.length;
  }
  if (pending.length > 0) yield { bytes: withoutCarriageReturn(Buffer.concat(pending)), line, offset: lineOffset };
}

/**
 * Streaming: a generated 50 MB JSONL file is read line by line and indexed without the heap growing with it (the
 * retained index is 24 bytes a document), and documents are then fetched lazily by offset. Plus the UTF-8 error
 * locator on its own.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PackedLoader, readRawLines } from '../src/index.js';
import { firstInvalidUtf8Offset } from '../src/readers/utf8.js';
import { tempDir } from './helpers/corpus-files.js';
import { EOS_ID, tinyTokenizer } from './helpers/tiny-tokenizer.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** JS heap plus array buffers (where Buffers live, outside the heap), after a full collection. */
function heapAfterGc(): number {
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const MB = 1 << 20;
const LINES = 52_000;

async function writeBigJsonl(path: string): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const filler = 'the software is provided as is without warranty of any kind '.repeat(16);
  for (let i = 0; i < LINES; i++) {
    const line = `${JSON.stringify({ id: i, text: `${i} ${filler}` })}\n`;
    bytes += line.length;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return bytes;
}

describe('streaming', () => {
  it('reads and indexes a 50 MB JSONL file with a heap that does not grow with it', { timeout: 120_000 }, async () => {
    const tokenizer = await tinyTokenizer();
    const dir = tempDir();
    const path = join(dir, 'big.jsonl');
    const bytes = await writeBigJsonl(path);
    expect(bytes).toBeGreaterThan(50 * 1000 * 1000);

    const baseline = heapAfterGc();
    let lines = 0;
    let peak = 0;
    for await (const line of readRawLines(path)) {
      lines++;
      if (lines % 5000 === 0) peak = Math.max(peak, heapAfterGc() - baseline);
      expect(line.line).toBe(lines);
    }
    expect(lines).toBe(LINES);
    // A few 1 MiB read chunks in flight (≈ 4–7 MiB measured), against the file's 50 MB.
    expect(peak).toBeLessThan(20 * MB);

    const loader = await PackedLoader.open({
      tokenizer,
      sources: [{ name: 'big', kind: 'jsonl', paths: [path] }],
      seqLen: 256,
      seed: 5,
      onBadInput: 'refuse',
      eosId: EOS_ID,
    });
    expect(loader.report().sources[0]!.documents).toBe(LINES);
    for (let step = 0; step < 5; step++) await loader.next(4, step);
    // The index (24 bytes × 52,000 documents ≈ 1.2 MB) plus the open files, not the corpus: 1.6–11 MiB measured
    // (the rest is compiled code and stream buffers not yet released), against the file's 50 MB.
    const retained = heapAfterGc() - baseline;
    if (process.env.FALCON_DATA_VERBOSE)
      console.log(
        `line reading peak ${(peak / MB).toFixed(1)} MiB, retained after indexing ${(retained / MB).toFixed(1)} MiB`,
      );
    expect(retained).toBeLessThan(20 * MB);
    await loader.close();
  });
});

describe('firstInvalidUtf8Offset', () => {
  const b = (...x: number[]) => Uint8Array.from(x);
  it('finds the start of the first ill-formed sequence', () => {
    expect(firstInvalidUtf8Offset(b(0x61, 0x62, 0xff, 0x63))).toBe(2); // stray byte
    expect(firstInvalidUtf8Offset(b(0x61, 0xc3, 0x28))).toBe(1); // lead byte without its continuation
    expect(firstInvalidUtf8Offset(b(0x61, 0x80))).toBe(1); // lone continuation byte
    expect(firstInvalidUtf8Offset(b(0xe6, 0x97, 0xa5, 0xe6, 0x97))).toBe(3); // truncated at the end
    expect(firstInvalidUtf8Offset(b(0x61, 0xed, 0xa0, 0x80))).toBe(1); // an encoded surrogate
    expect(firstInvalidUtf8Offset(b(0xc3, 0xa9))).toBe(2); // valid: the length
  });
});

/**
 * Packing invariants on real files and a real tokenizer: over each epoch every document's tokens (its own
 * tokenization + EOS, and BOS when set) appear exactly once, contiguously and in order; rows are full; seqIdx
 * changes exactly at document boundaries; positions restart at 0 in every segment; documents longer than a row
 * continue across rows and batches.
 */
import { join } from 'node:path';
import type { Tokenizer } from '@falcon-h1/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PackedBatch, PackedLoader, type SourceSpec } from '../src/index.js';
import { makeDocuments, tempDir, writeJsonl } from './helpers/corpus-files.js';
import { BOS_ID, EOS_ID, tinyTokenizer } from './helpers/tiny-tokenizer.js';

let tokenizer: Tokenizer;
beforeAll(async () => {
  tokenizer = await tinyTokenizer();
});

/** Checks the row layout of a batch against its segments; returns nothing, throws on the first violation. */
function checkRowLayout(batch: PackedBatch): void {
  const t = batch.seqLen;
  const covered = new Uint8Array(batch.rows * t);
  const byRow = new Map<number, typeof batch.segments>();
  for (const seg of batch.segments) byRow.set(seg.row, [...(byRow.get(seg.row) ?? []), seg]);
  for (let row = 0; row < batch.rows; row++) {
    const segs = byRow.get(row)!;
    let column = 0;
    segs.forEach((seg, k) => {
      expect(seg.start).toBe(column);
      for (let i = 0; i < seg.length; i++) {
        const at = row * t + seg.start + i;
        covered[at]++;
        expect(batch.seqIdx[at]).toBe(k);
        expect(batch.positions[at]).toBe(i);
      }
      column += seg.length;
    });
    expect(column).toBe(t);
    // seqIdx changes exactly where one segment ends and the next begins.
    for (let c = 1; c < t; c++) {
      const change = batch.seqIdx[row * t + c] !== batch.seqIdx[row * t + c - 1];
      expect(change).toBe(segs.some((s) => s.start === c));
    }
  }
  expect(covered.every((c) => c === 1)).toBe(true);
}

describe('packing', () => {
  it('serves every document once per epoch, whole and in order, in full rows (JSONL, EOS and BOS)', async () => {
    const dir = tempDir();
    const docs = makeDocuments(23, 100, 30);
    writeJsonl(join(dir, 'a.jsonl'), docs.slice(0, 11));
    writeJsonl(join(dir, 'b.jsonl'), docs.slice(11));
    const expected = docs.map((d) => [BOS_ID, ...tokenizer.encodeIds(d, { addSpecialTokens: false }), EOS_ID]);
    const total = expected.reduce((n, d) => n + d.length, 0);
    const sources: SourceSpec[] = [{ name: 'web', kind: 'jsonl', paths: [dir] }];
    const loader = await PackedLoader.open({
      tokenizer,
      sources,
      seqLen: 16,
      seed: 7,
      onBadInput: 'refuse',
      eosId: EOS_ID,
      bosId: BOS_ID,
    });

    // Enough batches for three epochs and a bit; rows vary per call.
    const stream: { epoch: number; document: number; tokenOffset: number; tokens: number[] }[] = [];
    let served = 0;
    for (let step = 0; served < 3 * total + 40; step++) {
      const batch = await loader.next(1 + (step % 3), step);
      checkRowLayout(batch);
      for (const seg of batch.segments) {
        const at = seg.row * batch.seqLen + seg.start;
        stream.push({ ...seg, tokens: [...batch.inputIds.subarray(at, at + seg.length)] });
      }
      served += batch.rows * batch.seqLen;
    }
    // Stitch segments back into documents: consecutive, offsets contiguous, tokens equal the tokenization.
    const perEpoch = new Map<number, number[]>();
    let open: { document: number; epoch: number; tokens: number[] } | null = null;
    for (const seg of stream) {
      if (seg.tokenOffset === 0) {
        expect(open).toBeNull();
        open = { document: seg.document, epoch: seg.epoch, tokens: [] };
      }
      expect(open).not.toBeNull();
      expect(seg.document).toBe(open!.document);
      expect(seg.tokenOffset).toBe(open!.tokens.length);
      open!.tokens.push(...seg.tokens);
      if (open!.tokens.length === expected[open!.document]!.length) {
        expect(open!.tokens).toEqual(expected[open!.document]);
        perEpoch.set(open!.epoch, [...(perEpoch.get(open!.epoch) ?? []), open!.document]);
        open = null;
      }
    }
    for (const epoch of [0, 1, 2])
      expect([...perEpoch.get(epoch)!].sort((a, b) => a - b)).toEqual(docs.map((_, i) => i));
    // Each epoch has its own shuffled order.
    expect(perEpoch.get(0)).not.toEqual(perEpoch.get(1));
    expect(loader.report().sources[0]!.epochsCompleted).toBe(3);
    await loader.close();
  });

  it('continues a document longer than a row across rows and batches, positions restarting at each row', async () => {
    const dir = tempDir();
    const long = makeDocuments(1, 5, 1)[0]!.repeat(30);
    writeJsonl(join(dir, 'long.jsonl'), [long]);
    const ids = [...tokenizer.encodeIds(long, { addSpecialTokens: false }), EOS_ID];
    expect(ids.length).toBeGreaterThan(3 * 8);
    const loader = await PackedLoader.open({
      tokenizer,
      sources: [{ name: 'long', kind: 'jsonl', paths: [join(dir, 'long.jsonl')] }],
      seqLen: 8,
      seed: 1,
      onBadInput: 'refuse',
      eosId: EOS_ID,
    });
    const got: number[] = [];
    while (got.length < ids.length) {
      const batch = await loader.next(2, 0);
      checkRowLayout(batch);
      got.push(...batch.inputIds);
    }
    // The single document repeats epoch after epoch: the stream is its tokens over and over, split at row ends.
    const stream = Array.from({ length: got.length }, (_, i) => ids[i % ids.length]);
    expect(got).toEqual(stream);
    await loader.close();
  });

  it('reads text sources as whole files, paragraphs or lines', async () => {
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'one.txt'), 'first paragraph\nstill first\n\n\nsecond\r\n\nthird\n');
    writeFileSync(join(dir, 'two.txt'), 'fourth');
    const expectations: Record<string, string[]> = {
      file: ['first paragraph\nstill first\n\n\nsecond\r\n\nthird\n', 'fourth'],
      'blank-line': ['first paragraph\nstill first', 'second', 'third', 'fourth'],
      line: ['first paragraph', 'still first', 'second', 'third', 'fourth'],
    };
    for (const [split, texts] of Object.entries(expectations)) {
      const loader = await PackedLoader.open({
        tokenizer,
        sources: [
          { name: 'txt', kind: 'text', paths: [join(dir, '*.txt')], textSplit: split as 'file', shuffle: false },
        ],
        seqLen: 4,
        seed: 0,
        onBadInput: 'refuse',
        eosId: EOS_ID,
      });
      const want = texts.flatMap((t) => [...tokenizer.encodeIds(t, { addSpecialTokens: false }), EOS_ID]);
      const batch = await loader.next(Math.ceil(want.length / 4), 0);
      expect([...batch.inputIds.subarray(0, want.length)], split).toEqual(want);
      expect(loader.report().sources[0]!.documents).toBe(texts.length);
      await loader.close();
    }
  });
});

/**
 * Token shards: write/read round trip (u16 and u32), a multi-megabyte shard read lazily through a bounded block
 * cache, broken shards reported as bad input, `tokenizeToShards` equal to tokenizing the text, and a loader over
 * shards giving exactly the batches of the same loader over the JSONL they were made from.
 */
import { readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tokenizer } from '@falcon-h1/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BlockCache,
  FilePool,
  indexPathOf,
  PackedLoader,
  type PackedLoaderOptions,
  ShardFormatError,
  TokenShardReader,
  tokenizeToShards,
  writeTokenShard,
} from '../src/index.js';
import { makeDocuments, tempDir, writeJsonl } from './helpers/corpus-files.js';
import { EOS_ID, tinyTokenizer } from './helpers/tiny-tokenizer.js';

let tokenizer: Tokenizer;
beforeAll(async () => {
  tokenizer = await tinyTokenizer();
});

/** Deterministic pseudo-random documents of token ids below `vocab`. */
function randomDocuments(count: number, vocab: number, maxLength: number): Int32Array[] {
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  return Array.from({ length: count }, () => Int32Array.from({ length: next() % maxLength }, () => next() % vocab));
}

describe('token shards', () => {
  it.each([
    ['u16', 65536],
    ['u32', 200_000],
  ] as const)('round-trips documents (%s), empty ones included', async (dtype, vocab) => {
    const dir = tempDir();
    const docs = randomDocuments(50, vocab, 300);
    docs[7] = new Int32Array(0);
    docs[8] = Int32Array.from([vocab - 1, 0]);
    const path = join(dir, `s-${dtype}.bin`);
    const written = await writeTokenShard(path, docs, { dtype, vocabSize: vocab });
    expect(written.documents).toBe(50);
    const pool = new FilePool();
    const reader = await TokenShardReader.open(path, pool, new BlockCache(pool, 4096, 4));
    expect(reader.documentCount).toBe(50);
    expect(reader.bytesPerToken).toBe(dtype === 'u16' ? 2 : 4);
    expect(reader.vocabSize).toBe(vocab);
    for (let d = 49; d >= 0; d--) expect(await reader.readDocument(d)).toEqual(docs[d]);
    await pool.close();
  });

  it('reads a multi-megabyte shard lazily: random documents through a bounded block cache', async () => {
    const dir = tempDir();
    const docs = randomDocuments(4000, 384, 1000); // ≈ 2M tokens, 4 MB of u16
    const path = join(dir, 'big.bin');
    const { tokens } = await writeTokenShard(path, docs, { vocabSize: 384 });
    expect(tokens).toBeGreaterThan(1_500_000);
    const pool = new FilePool();
    const cache = new BlockCache(pool, 1 << 14, 8); // at most 128 KiB held
    const reader = await TokenShardReader.open(path, pool, cache);
    for (let k = 0; k < 300; k++) {
      const d = (k * 2654435761) % docs.length;
      expect(await reader.readDocument(d)).toEqual(docs[d]);
      expect(cache.size).toBeLessThanOrEqual(8);
    }
    await pool.close();
  });

  it('refuses ids outside the vocabulary or the dtype', async () => {
    const dir = tempDir();
    await expect(writeTokenShard(join(dir, 'a.bin'), [[1, 384]], { vocabSize: 384 })).rejects.toThrow(
      /token 1 is 384, outside \[0, 384\)/,
    );
    await expect(writeTokenShard(join(dir, 'b.bin'), [[1]], { vocabSize: 70_000, dtype: 'u16' })).rejects.toThrow(
      /does not fit u16/,
    );
  });

  it('reports broken shards (truncated, missing index, not a shard) with their file', async () => {
    const dir = tempDir();
    const docs = randomDocuments(20, 384, 50);
    const good = join(dir, 'a-good.bin');
    await writeTokenShard(good, docs, { vocabSize: 384 });
    const truncated = join(dir, 'b-truncated.bin');
    await writeTokenShard(truncated, docs, { vocabSize: 384 });
    truncateSync(truncated, 100);
    const noIndex = join(dir, 'c-noindex.bin');
    await writeTokenShard(noIndex, docs, { vocabSize: 384 });
    unlinkSync(indexPathOf(noIndex));
    const garbage = join(dir, 'd-garbage.bin');
    writeFileSync(garbage, 'this is not a shard at all, just text long enough for a header........');

    const pool = new FilePool();
    const cache = new BlockCache(pool);
    await expect(TokenShardReader.open(truncated, pool, cache)).rejects.toThrow(
      /b-truncated.bin: is 100 bytes, its header says/,
    );
    await expect(TokenShardReader.open(noIndex, pool, cache)).rejects.toBeInstanceOf(ShardFormatError);
    await pool.close();

    const options: PackedLoaderOptions = {
      tokenizer,
      sources: [{ name: 'sh', kind: 'shards', paths: [dir] }],
      seqLen: 16,
      seed: 0,
      onBadInput: 'skip',
      eosId: EOS_ID,
    };
    const loader = await PackedLoader.open(options);
    const report = loader.report().sources[0]!;
    expect(report.documents).toBe(20);
    expect(report.badInputLines).toEqual([
      expect.stringMatching(/b-truncated\.bin: is 100 bytes/),
      expect.stringMatching(/c-noindex\.idx: missing index file/),
      expect.stringMatching(/d-garbage\.bin: not a token shard/),
    ]);
    await loader.close();
    await expect(PackedLoader.open({ ...options, onBadInput: 'refuse' })).rejects.toThrow(/b-truncated\.bin/);
  });

  it('tokenizeToShards + a shard source give exactly the batches of the JSONL source', async () => {
    const dir = tempDir();
    const docs = makeDocuments(30, 4000, 50);
    writeJsonl(join(dir, 'web.jsonl'), docs);
    const result = await tokenizeToShards({
      tokenizer,
      source: { name: 'web', kind: 'jsonl', paths: [join(dir, 'web.jsonl')] },
      outDir: join(dir, 'shards'),
      maxTokensPerShard: 200, // several shards
      onBadInput: 'refuse',
    });
    expect(result.shards.length).toBeGreaterThan(2);
    expect(result.documents).toBe(30);
    expect(result.tokens).toBe(
      docs.reduce((n, d) => n + tokenizer.encodeIds(d, { addSpecialTokens: false }).length, 0),
    );
    // The header records the dtype and vocabulary.
    const header = readFileSync(result.shards[0]!).subarray(0, 20);
    expect(header.toString('ascii', 0, 8)).toBe('FH1TOKEN');
    expect(header.readUInt32LE(12)).toBe(2);
    expect(header.readUInt32LE(16)).toBe(tokenizer.getVocabSize(true));

    const base = { tokenizer, seqLen: 20, seed: 11, onBadInput: 'refuse', eosId: EOS_ID } as const;
    const fromText = await PackedLoader.open({
      ...base,
      sources: [{ name: 'web', kind: 'jsonl', paths: [join(dir, 'web.jsonl')] }],
    });
    const fromShards = await PackedLoader.open({
      ...base,
      sources: [{ name: 'web', kind: 'shards', paths: [join(dir, 'shards')] }],
    });
    for (let step = 0; step < 12; step++) {
      const a = await fromText.next(3, step);
      const b = await fromShards.next(3, step);
      expect([...b.inputIds]).toEqual([...a.inputIds]);
      expect(b.segments).toEqual(a.segments);
    }
    await fromText.close();
    await fromShards.close();
  });
});

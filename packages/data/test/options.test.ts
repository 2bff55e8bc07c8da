/** Configuration errors are clear and immediate; `new PackedLoader()` opens lazily at the first `next()`. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackedLoader, type PackedLoaderOptions } from '../src/index.js';
import { makeDocuments, tempDir, writeJsonl } from './helpers/corpus-files.js';
import { EOS_ID, tinyTokenizer } from './helpers/tiny-tokenizer.js';

async function baseOptions(): Promise<PackedLoaderOptions> {
  const dir = tempDir();
  writeJsonl(join(dir, 'a.jsonl'), makeDocuments(5, 10));
  return {
    tokenizer: await tinyTokenizer(),
    sources: [{ name: 'a', kind: 'jsonl', paths: [join(dir, 'a.jsonl')] }],
    seqLen: 8,
    seed: 1,
    onBadInput: 'refuse',
    eosId: EOS_ID,
  };
}

describe('options', () => {
  it('refuses malformed options with a message naming the problem', async () => {
    const o = await baseOptions();
    expect(() => new PackedLoader({ ...o, seqLen: 0 })).toThrow(/seqLen must be a positive integer/);
    expect(() => new PackedLoader({ ...o, seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => new PackedLoader({ ...o, eosId: 384 })).toThrow(
      /eosId 384 is not an id of the tokenizer's vocabulary \[0, 384\)/,
    );
    expect(() => new PackedLoader({ ...o, sources: [o.sources[0]!, o.sources[0]!] })).toThrow(
      /two sources are named 'a'/,
    );
    expect(() => new PackedLoader({ ...o, onBadInput: 'ignore' as 'skip' })).toThrow(
      /onBadInput must be 'skip' or 'refuse'/,
    );
    expect(() => new PackedLoader({ ...o, mixture: { b: 1 } })).toThrow(/'b', which is not a source/);
    await expect(PackedLoader.open({ ...o, sources: [{ ...o.sources[0]!, kind: 'csv' as 'text' }] })).rejects.toThrow(
      /kind must be one of text, jsonl, shards/,
    );
    await expect(PackedLoader.open({ ...o, sources: [{ ...o.sources[0]!, maxEpochs: 0 }] })).rejects.toThrow(
      /maxEpochs/,
    );
    const loader = await PackedLoader.open(o);
    await expect(loader.next(0, 0)).rejects.toThrow(/rows must be a positive integer/);
    await expect(loader.next(1, -1)).rejects.toThrow(/step must be a finite number >= 0/);
    await loader.close();
  });

  it('opens lazily: state() before the first batch asks for ready(), next() indexes first', async () => {
    const o = await baseOptions();
    const lazy = new PackedLoader(o);
    expect(() => lazy.state()).toThrow(/not open yet/);
    const first = await lazy.next(2, 0);
    const eager = await PackedLoader.open(o);
    expect([...(await eager.next(2, 0)).inputIds]).toEqual([...first.inputIds]);
    await Promise.all([lazy.close(), eager.close()]);
  });
});

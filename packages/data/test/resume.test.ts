/**
 * Determinism and resume: two loaders with the same options give the same batches; a loader restored from the
 * (JSON round-tripped) state taken after batch k gives, batch for batch, what the uninterrupted loader gave after
 * k — at several cut points, with a moving mixture, a batch-size change, a small source wrapping around epochs,
 * and a document open across the cut.
 */
import { join } from 'node:path';
import type { Tokenizer } from '@falcon-h1/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PackedBatch, PackedLoader, type PackedLoaderOptions } from '../src/index.js';
import { makeDocuments, tempDir, writeJsonl } from './helpers/corpus-files.js';
import { BOS_ID, EOS_ID, tinyTokenizer } from './helpers/tiny-tokenizer.js';

let tokenizer: Tokenizer;
let dir: string;
beforeAll(async () => {
  tokenizer = await tinyTokenizer();
  dir = tempDir();
  writeJsonl(join(dir, 'web.jsonl'), makeDocuments(40, 500, 60));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'code.txt'), makeDocuments(12, 700, 20).join('\n\n'));
  writeJsonl(join(dir, 'tiny.jsonl'), makeDocuments(3, 900, 6));
});

function options(seed = 1234): PackedLoaderOptions {
  return {
    tokenizer,
    sources: [
      { name: 'web', kind: 'jsonl', paths: [join(dir, 'web.jsonl')] },
      { name: 'code', kind: 'text', paths: [join(dir, 'code.txt')], textSplit: 'blank-line' },
      { name: 'tiny', kind: 'jsonl', paths: [join(dir, 'tiny.jsonl')] },
    ],
    mixture: { start: { web: 0.7, code: 0.2, tiny: 0.1 }, end: { web: 0.3, code: 0.4, tiny: 0.3 }, steps: 12 },
    seqLen: 24,
    seed,
    onBadInput: 'refuse',
    eosId: EOS_ID,
    bosId: BOS_ID,
  };
}

/** Batch-size ramp: 2 rows, then 3, then 5. */
const rowsAt = (step: number) => (step < 4 ? 2 : step < 9 ? 3 : 5);
const STEPS = 16;

function comparable(batch: PackedBatch) {
  return {
    inputIds: [...batch.inputIds],
    seqIdx: [...batch.seqIdx],
    positions: [...batch.positions],
    segments: batch.segments,
    tokensPerSource: batch.tokensPerSource,
    weights: batch.weights,
  };
}

describe('determinism and resume', () => {
  it('restores at every cut point to exactly the uninterrupted batches', async () => {
    const loader = await PackedLoader.open(options());
    const batches: ReturnType<typeof comparable>[] = [];
    const states: string[] = [];
    for (let step = 0; step < STEPS; step++) {
      states.push(JSON.stringify(loader.state())); // the state before batch `step`
      batches.push(comparable(await loader.next(rowsAt(step), step)));
    }
    const finalReport = loader.report();
    await loader.close();
    // The small source wrapped around several epochs within the run.
    expect(finalReport.sources.find((s) => s.name === 'tiny')!.epochsCompleted).toBeGreaterThanOrEqual(3);

    let openAcrossCut = 0;
    for (const cut of [1, 3, 4, 7, 9, 13]) {
      const state = JSON.parse(states[cut]!);
      if (state.current) openAcrossCut++;
      const resumed = await PackedLoader.restore(options(), state);
      for (let step = cut; step < STEPS; step++) {
        expect(comparable(await resumed.next(rowsAt(step), step)), `cut ${cut}, step ${step}`).toEqual(batches[step]);
      }
      const report = resumed.report();
      expect(report.sources.map((s) => [s.documentsServed, s.tokensServed, s.epochsCompleted])).toEqual(
        finalReport.sources.map((s) => [s.documentsServed, s.tokensServed, s.epochsCompleted]),
      );
      await resumed.close();
    }
    // At least one cut fell inside a document (the carry buffer is resumed, not dropped).
    expect(openAcrossCut).toBeGreaterThan(0);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const run = async (seed: number) => {
      const loader = await PackedLoader.open(options(seed));
      const out = [];
      for (let step = 0; step < 4; step++) out.push([...(await loader.next(2, step)).inputIds]);
      await loader.close();
      return out;
    };
    expect(await run(5)).toEqual(await run(5));
    expect(await run(5)).not.toEqual(await run(6));
  });

  it('refuses a state from other options or a changed corpus', async () => {
    const loader = await PackedLoader.open(options());
    await loader.next(2, 0);
    const state = loader.state();
    await loader.close();
    await expect(PackedLoader.restore(options(77), state)).rejects.toThrow(/seed 1234, options say 77/);
    await expect(PackedLoader.restore({ ...options(), seqLen: 12 }, state)).rejects.toThrow(/seqLen 24/);
    const changed = structuredClone(state);
    changed.sources[0]!.documents = 41;
    await expect(PackedLoader.restore(options(), changed)).rejects.toThrow(/has 40 documents now but had 41/);
  });
});

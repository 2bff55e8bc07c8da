/**
 * The loader's batches plug into the model as they are: for the tiny-a fixture (vocab 384, the tokenizer's size)
 * on the float64 reference backend, the loss of a packed batch given the loader's seqIdx equals the token-weighted
 * mean of the losses of each row segment run alone — no document sees another — and giving the loader's positions
 * too changes nothing (they are what the model derives from seqIdx).
 */
import '@falcon-h1/backend-reference';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor, tidy } from '@falcon-h1/core-tensor';
import { type FalconH1ForCausalLM, loadFalconH1 } from '@falcon-h1/hybrid-block';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackedLoader } from '../src/index.js';
import { makeDocuments, tempDir, writeJsonl } from './helpers/corpus-files.js';
import { BOS_ID, EOS_ID, tinyTokenizer } from './helpers/tiny-tokenizer.js';

const TINY_A = fileURLToPath(new URL('../../../tests/fixtures/tiny-a', import.meta.url));

let model: FalconH1ForCausalLM;
beforeAll(async () => {
  model = await loadFalconH1(TINY_A, { dtype: 'f64' });
});
afterAll(() => model.dispose());

function loss(
  ids: ArrayLike<number>,
  b: number,
  t: number,
  options: { seqIdx?: Int32Array; positions?: Int32Array } = {},
): number {
  return tidy(() => Number(model.loss(tensor(ids, [b, t], 'i32'), options).dataSync()[0]));
}

describe('packed batches in the model', () => {
  it('packed loss = token-weighted mean of the segments run alone', { timeout: 120_000 }, async () => {
    const tokenizer = await tinyTokenizer();
    expect(tokenizer.getVocabSize(true)).toBe(384);
    const dir = tempDir();
    writeJsonl(join(dir, 'docs.jsonl'), makeDocuments(8, 50, 12));
    const loader = await PackedLoader.open({
      tokenizer,
      sources: [{ name: 'd', kind: 'jsonl', paths: [dir] }],
      seqLen: 40,
      seed: 2,
      onBadInput: 'refuse',
      eosId: EOS_ID,
      bosId: BOS_ID,
    });
    await loader.next(1, 0); // start mid-stream, so a row begins with a continued document
    const batch = await loader.next(2, 1);
    await loader.close();
    expect(batch.segments.length).toBeGreaterThan(3);
    expect(batch.segments.some((s) => s.start === 0 && s.tokenOffset > 0)).toBe(true);

    const packed = loss(batch.inputIds, batch.rows, batch.seqLen, { seqIdx: batch.seqIdx });
    const withPositions = loss(batch.inputIds, batch.rows, batch.seqLen, {
      seqIdx: batch.seqIdx,
      positions: batch.positions,
    });
    let weighted = 0;
    let pairs = 0;
    for (const seg of batch.segments) {
      if (seg.length < 2) continue;
      const at = seg.row * batch.seqLen + seg.start;
      weighted += loss(batch.inputIds.subarray(at, at + seg.length), 1, seg.length) * (seg.length - 1);
      pairs += seg.length - 1;
    }
    const alone = weighted / pairs;
    expect(Number.isFinite(packed)).toBe(true);
    expect(Math.abs(packed - alone) / Math.abs(alone)).toBeLessThan(1e-10);
    expect(Math.abs(withPositions - packed) / Math.abs(packed)).toBeLessThan(1e-12);
    // Without the document ids the rows leak across documents and the loss is measurably different.
    const leaking = loss(batch.inputIds, batch.rows, batch.seqLen);
    expect(Math.abs(leaking - alone) / Math.abs(alone)).toBeGreaterThan(1e-6);
  });
});

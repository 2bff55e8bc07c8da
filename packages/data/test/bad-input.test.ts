/**
 * Bad input is reported with file and line and never lost: under 'skip' each case is in the report (and given to
 * the listener) and every good document is still served; under 'refuse' the first one throws, naming file and
 * line. Cases: invalid UTF-8 (JSONL line, text paragraph, whole file — with the offending byte's offset), a line
 * that is not JSON, a record without the field, a field of the wrong type, a missing file, a broken shard.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tokenizer } from '@falcon-h1/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BadInput, BadInputError, PackedLoader, type PackedLoaderOptions, type SourceSpec } from '../src/index.js';
import { tempDir } from './helpers/corpus-files.js';
import { EOS_ID, tinyTokenizer } from './helpers/tiny-tokenizer.js';

let tokenizer: Tokenizer;
beforeAll(async () => {
  tokenizer = await tinyTokenizer();
});

const GOOD = ['alpha license', 'beta software', 'gamma notice', 'delta code'];

/** A JSONL file: good records interleaved with every kind of bad line; returns the path and the bad lines. */
function writeBrokenJsonl(dir: string): { path: string; lines: Record<number, RegExp> } {
  const path = join(dir, 'mixed.jsonl');
  const parts: Buffer[] = [
    Buffer.from(`${JSON.stringify({ text: GOOD[0] })}\n`), // 1
    Buffer.from('{"text": "broken\n'), // 2: not JSON
    Buffer.concat([Buffer.from('{"text": "bad '), Buffer.from([0xc3, 0x28]), Buffer.from(' bytes"}\n')]), // 3: invalid UTF-8
    Buffer.from(`${JSON.stringify({ body: 'no text field' })}\n`), // 4: missing field
    Buffer.from(`${JSON.stringify({ text: GOOD[1] })}\n`), // 5
    Buffer.from('\n'), // 6: blank, not a document
    Buffer.from(`${JSON.stringify({ text: 42 })}\n`), // 7: wrong type
    Buffer.from('[1, 2]\n'), // 8: not an object
    Buffer.from(`${JSON.stringify({ text: GOOD[2] })}`), // 9, no final newline
  ];
  writeFileSync(path, Buffer.concat(parts));
  return {
    path,
    lines: {
      2: /invalid JSON/,
      3: /invalid UTF-8/,
      4: /missing field 'text'/,
      7: /field 'text' is number/,
      8: /must be an object/,
    },
  };
}

function optionsFor(sources: SourceSpec[], onBadInput: 'skip' | 'refuse', seen?: BadInput[]): PackedLoaderOptions {
  return {
    tokenizer,
    sources,
    seqLen: 8,
    seed: 3,
    onBadInput,
    eosId: EOS_ID,
    onBadInputSkipped: seen ? (b) => seen.push(b) : undefined,
  };
}

/** Decoded documents of one epoch of a single-source loader (shuffle off): split the stream at EOS. */
async function oneEpochTexts(loader: PackedLoader, documents: number): Promise<string[]> {
  const ids: number[] = [];
  while (ids.filter((id) => id === EOS_ID).length < documents) ids.push(...(await loader.next(1, 0)).inputIds);
  const texts: string[] = [];
  let current: number[] = [];
  for (const id of ids) {
    if (id === EOS_ID) {
      texts.push(tokenizer.decode(current));
      current = [];
      if (texts.length === documents) break;
    } else current.push(id);
  }
  return texts;
}

describe('bad input', () => {
  it("JSONL under 'skip': every bad line reported with file:line, every good record served", async () => {
    const dir = tempDir();
    const { path, lines } = writeBrokenJsonl(dir);
    const seen: BadInput[] = [];
    const missing = join(dir, 'nope.jsonl');
    const loader = await PackedLoader.open(
      optionsFor([{ name: 'web', kind: 'jsonl', paths: [path, missing], shuffle: false }], 'skip', seen),
    );
    const report = loader.report().sources[0]!;
    expect(report.documents).toBe(3);
    const byLine = new Map(report.badInputs.filter((b) => b.file === path).map((b) => [b.line, b]));
    expect([...byLine.keys()].sort()).toEqual(Object.keys(lines).map(Number));
    for (const [line, reason] of Object.entries(lines)) expect(byLine.get(Number(line))!.reason).toMatch(reason);
    // The invalid byte is located exactly: line 3 starts after lines 1–2, and 0xC3 is its 15th byte.
    const line3Offset = Buffer.byteLength(`${JSON.stringify({ text: GOOD[0] })}\n{"text": "broken\n`);
    expect(byLine.get(3)!.byteOffset).toBe(line3Offset + '{"text": "bad '.length);
    expect(report.badInputs.find((b) => b.file === missing)!.reason).toMatch(/missing file/);
    expect(report.badInputLines.some((l) => l.startsWith(`${path}:2 `) && l.includes('invalid JSON'))).toBe(true);
    expect(seen).toEqual(report.badInputs);
    expect(await oneEpochTexts(loader, 3)).toEqual(GOOD.slice(0, 3));
    await loader.close();
  });

  it("JSONL under 'refuse': the first bad line throws with file:line", async () => {
    const dir = tempDir();
    const { path } = writeBrokenJsonl(dir);
    const attempt = PackedLoader.open(optionsFor([{ name: 'web', kind: 'jsonl', paths: [path] }], 'refuse'));
    await expect(attempt).rejects.toBeInstanceOf(BadInputError);
    await expect(
      PackedLoader.open(optionsFor([{ name: 'web', kind: 'jsonl', paths: [path] }], 'refuse')),
    ).rejects.toThrow(`${path}:2`);
  });

  it("a missing file is refused under 'refuse' and skipped (reported) under 'skip'", async () => {
    const dir = tempDir();
    const good = join(dir, 'good.txt');
    writeFileSync(good, GOOD[3]!);
    const missing = join(dir, 'missing.txt');
    const sources: SourceSpec[] = [{ name: 'txt', kind: 'text', paths: [good, missing] }];
    await expect(PackedLoader.open(optionsFor(sources, 'refuse'))).rejects.toThrow(`${missing}: missing file`);
    const loader = await PackedLoader.open(optionsFor(sources, 'skip'));
    expect(loader.report().sources[0]!.badInputLines).toEqual([
      `${missing}: missing file (no file or directory matches this path) [source 'txt']`,
    ]);
    expect(await oneEpochTexts(loader, 1)).toEqual([GOOD[3]]);
    await loader.close();
  });

  it('invalid UTF-8 in text sources: the paragraph or file is reported with line and byte offset', async () => {
    const dir = tempDir();
    const path = join(dir, 'paras.txt');
    writeFileSync(join(dir, 'fine.txt'), GOOD[3]!);
    const bad = Buffer.concat([Buffer.from('oops '), Buffer.from([0xff]), Buffer.from(' here')]);
    writeFileSync(
      path,
      Buffer.concat([Buffer.from(`${GOOD[0]}\n\n${GOOD[1]}\n`), bad, Buffer.from(`\n\n${GOOD[2]}\n`)]),
    );
    const loader = await PackedLoader.open(
      optionsFor([{ name: 'p', kind: 'text', paths: [path], textSplit: 'blank-line', shuffle: false }], 'skip'),
    );
    const report = loader.report().sources[0]!;
    const offset = Buffer.byteLength(`${GOOD[0]}\n\n${GOOD[1]}\n`) + 5;
    expect(report.badInputs).toEqual([
      { source: 'p', file: path, line: 4, byteOffset: offset, reason: 'invalid UTF-8' },
    ]);
    // The paragraph holding the bad line (lines 3–4) is left out whole; the others are served.
    expect(await oneEpochTexts(loader, 2)).toEqual([GOOD[0], GOOD[2]]);
    await loader.close();

    const whole = await PackedLoader.open(optionsFor([{ name: 'f', kind: 'text', paths: [dir] }], 'skip'));
    expect(whole.report().sources[0]!.badInputs[0]).toMatchObject({ file: path, line: 4, byteOffset: offset });
    await whole.close();
    await expect(PackedLoader.open(optionsFor([{ name: 'f', kind: 'text', paths: [dir] }], 'refuse'))).rejects.toThrow(
      `${path}:4 (byte ${offset}): invalid UTF-8`,
    );
  });

  it('a source left with no document at all is a clear error listing why', async () => {
    const dir = tempDir();
    const path = join(dir, 'all-bad.jsonl');
    writeFileSync(path, '{"x": 1}\n');
    await expect(
      PackedLoader.open(optionsFor([{ name: 'empty', kind: 'jsonl', paths: [path] }], 'skip')),
    ).rejects.toThrow(/source 'empty' has no usable document; bad inputs:\n.*all-bad.jsonl:1.*missing field 'text'/);
  });

  it('a document that changed after indexing is reported when served', async () => {
    const dir = tempDir();
    const path = join(dir, 'changing.jsonl');
    writeFileSync(path, `${JSON.stringify({ text: GOOD[0] })}\n${JSON.stringify({ text: GOOD[1] })}\n`);
    const loader = await PackedLoader.open(
      optionsFor([{ name: 'c', kind: 'jsonl', paths: [path], shuffle: false }], 'skip'),
    );
    // Same length, no longer JSON.
    writeFileSync(
      path,
      `${JSON.stringify({ text: GOOD[0] })}\n${'x'.repeat(Buffer.byteLength(JSON.stringify({ text: GOOD[1] })))}\n`,
    );
    await loader.next(4, 0);
    const bad = loader.report().sources[0]!.badInputs;
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0]).toMatchObject({ file: path, line: 2 });
    expect(bad[0]!.reason).toMatch(/invalid JSON/);
    // They travel in the state, so a resumed run reports them too (on the corpus as indexed: a changed document
    // count would refuse the restore).
    writeFileSync(path, `${JSON.stringify({ text: GOOD[0] })}\n${JSON.stringify({ text: GOOD[1] })}\n`);
    const resumed = await PackedLoader.restore(
      optionsFor([{ name: 'c', kind: 'jsonl', paths: [path], shuffle: false }], 'skip'),
      loader.state(),
    );
    expect(
      resumed.report().sources[0]!.badInputs.filter((b) => b.line === 2 && /invalid JSON/.test(b.reason)).length,
    ).toBeGreaterThan(0);
    await loader.close();
    await resumed.close();
  });
});

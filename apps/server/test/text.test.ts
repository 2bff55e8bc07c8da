/**
 * Streamed text: the incremental decoder never releases part of a multi-byte UTF-8 character (a token of the
 * byte-level tokenizer may hold one byte of it) and releases exactly the full decoding in the end; the stop-string
 * filter cuts at the first stop string even when it spans pieces, and holds back only possible beginnings of one.
 */
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@falcon-h1/tokenizer';
import { describe, expect, it } from 'vitest';
import { IncrementalDecoder, StopStringFilter } from '../src/index.js';

const tokenizer = Tokenizer.fromJSON(
  await readFile(new URL('./fixtures/tiny-a-tokenizer/tokenizer.json', import.meta.url), 'utf8'),
);

describe('IncrementalDecoder', () => {
  it('releases whole characters only, and all of the text', () => {
    const text = 'Größe 世界 — naïve 🎉 done';
    const ids = tokenizer.encodeIds(text, { addSpecialTokens: false });
    const decoder = new IncrementalDecoder(tokenizer);
    const pieces = ids.map((id) => decoder.push(id));
    pieces.push(decoder.flush());
    expect(pieces.join('')).toBe(tokenizer.decode(ids));
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) expect(piece).not.toContain('\uFFFD');
    // Some token held only part of a character: its text came with a later token.
    expect(pieces.slice(0, -1).some((p) => p === '')).toBe(true);
  });

  it('leaves out special tokens and flushes an incomplete tail as U+FFFD', () => {
    const decoder = new IncrementalDecoder(tokenizer);
    expect(decoder.push(tokenizer.tokenToId('<|im_start|>')!)).toBe('');
    const [first] = tokenizer.encodeIds('世', { addSpecialTokens: false });
    expect(decoder.push(first!)).toBe('');
    expect(decoder.flush()).toContain('\uFFFD');
  });
});

describe('StopStringFilter', () => {
  it('cuts before a stop string split across pieces', () => {
    const filter = new StopStringFilter(['END', '\n\n']);
    const out = ['Hello E', 'N', 'D and more'].map((p) => filter.push(p));
    expect(out.map((o) => o.text).join('')).toBe('Hello ');
    expect(out.map((o) => o.stopped)).toEqual([false, false, true]);
  });

  it('holds back only what could begin a stop string, and releases it when it does not', () => {
    const filter = new StopStringFilter(['###']);
    expect(filter.push('a#')).toEqual({ text: 'a', stopped: false });
    expect(filter.push('#')).toEqual({ text: '', stopped: false });
    expect(filter.push('b')).toEqual({ text: '##b', stopped: false });
    expect(filter.push('x#')).toEqual({ text: 'x', stopped: false });
    expect(filter.flush()).toBe('#');
  });

  it('takes the earliest of several stop strings', () => {
    const filter = new StopStringFilter(['cd', 'b']);
    expect(filter.push('abcd')).toEqual({ text: 'a', stopped: true });
  });
});

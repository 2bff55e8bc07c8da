/**
 * Unicode normalization (NFC, NFD, NFKC, NFKD) with the alignment changes Hugging Face's tokenizers reports. The
 * normalized text itself comes from `String.prototype.normalize`; what this file adds is *which* old characters
 * each new character stands for, reproduced from how the Rust `unicode-normalization-alignments` crate tracks them:
 *
 * 1. Decomposition: the first character of each old character's decomposition replaces it (change 0), the others
 *    are inserted after it (change +1).
 * 2. Canonical reordering moves characters together with their change.
 * 3. Composition: a composite carries its starter's change plus (change - 1) for each character it absorbs.
 *
 * Characters newer than the oracle's tables (`nfdInert`/`nfkdInert`) are left alone and split the text, because the
 * oracle treats them as unassigned starters. Text is processed in blocks that start at ASCII characters (which
 * neither reorder nor compose with what precedes them), and only the blocks that change are rewritten.
 */
import type { NormalizedString, Transformation } from '../text/normalized-string.js';
import { nfdInert, nfkdInert } from './classes.js';

export type NormalizationForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

const decompositionCache = new Map<string, Map<number, string>>();

function decomposeChar(cp: number, form: 'NFD' | 'NFKD'): string {
  let cache = decompositionCache.get(form);
  if (cache === undefined) {
    cache = new Map();
    decompositionCache.set(form, cache);
  }
  let d = cache.get(cp);
  if (d === undefined) {
    d = String.fromCodePoint(cp).normalize(form);
    cache.set(cp, d);
  }
  return d;
}

/**
 * Blocks of text that normalize independently: each starts at an ASCII character (or the start) and runs to the
 * next ASCII character after some non-ASCII ones. Calls fn(start, end) for blocks holding non-ASCII characters.
 */
function forEachNonAsciiBlock(text: string, fn: (start: number, end: number) => void): void {
  let blockStart = 0;
  let hasNonAscii = false;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) {
      if (hasNonAscii) {
        fn(blockStart, i);
        hasNonAscii = false;
      }
      blockStart = i;
    } else {
      hasNonAscii = true;
    }
  }
  if (hasNonAscii) fn(blockStart, text.length);
}

/** The normalized text alone (no alignment), with the same treatment of characters the oracle does not know. */
export function normalizeText(text: string, form: NormalizationForm): string {
  let out = '';
  let copied = 0;
  forEachNonAsciiBlock(text, (start, end) => {
    const block = text.slice(start, end);
    const normalized = normalizeBlockText(block, form);
    if (normalized !== block) {
      out += text.slice(copied, start) + normalized;
      copied = end;
    }
  });
  return copied === 0 ? text : out + text.slice(copied);
}

function normalizeBlockText(block: string, form: NormalizationForm): string {
  const inert = form === 'NFKC' || form === 'NFKD' ? nfkdInert : nfdInert;
  let out = '';
  let segmentStart = 0;
  for (let i = 0; i < block.length; ) {
    const cp = block.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (cp >= 0x300 && inert.has(cp)) {
      out += block.slice(segmentStart, i).normalize(form) + String.fromCodePoint(cp);
      segmentStart = i + width;
    }
    i += width;
  }
  return segmentStart === 0 ? block.normalize(form) : out + block.slice(segmentStart).normalize(form);
}

/** Applies a normalization form to the normalized text of `ns`, updating its alignment. */
export function normalizeWithAlignment(ns: NormalizedString, form: NormalizationForm): void {
  const text = ns.normalized;
  const edits: Array<{ start: number; end: number; t: Transformation; initialOffset: number }> = [];
  forEachNonAsciiBlock(text, (start, end) => {
    const block = text.slice(start, end);
    if (normalizeBlockText(block, form) === block) return;
    const t: Transformation = { cps: [], changes: [] };
    normalizeBlock(block, form, t);
    edits.push({ start, end, t, initialOffset: 0 });
  });
  if (edits.length > 0) ns.applyEdits(edits);
}

function normalizeBlock(block: string, form: NormalizationForm, out: Transformation): void {
  const inert = form === 'NFKC' || form === 'NFKD' ? nfkdInert : nfdInert;
  let segmentStart = 0;
  for (let i = 0; i < block.length; ) {
    const cp = block.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (cp >= 0x300 && inert.has(cp)) {
      if (segmentStart < i) normalizeSegment(block.slice(segmentStart, i), form, out);
      out.cps.push(cp);
      out.changes.push(0);
      segmentStart = i + width;
    }
    i += width;
  }
  if (segmentStart < block.length) normalizeSegment(block.slice(segmentStart), form, out);
}

function normalizeSegment(segment: string, form: NormalizationForm, out: Transformation): void {
  const decomposition: 'NFD' | 'NFKD' = form === 'NFC' || form === 'NFD' ? 'NFD' : 'NFKD';
  // 1. Each old character's decomposition, with its changes.
  const byCodePoint = new Map<number, number[]>();
  const changeOf: number[] = [];
  for (const char of segment) {
    let first = true;
    for (const part of decomposeChar(char.codePointAt(0)!, decomposition)) {
      const p = part.codePointAt(0)!;
      let list = byCodePoint.get(p);
      if (list === undefined) {
        list = [];
        byCodePoint.set(p, list);
      }
      list.push(changeOf.length);
      changeOf.push(first ? 0 : 1);
      first = false;
    }
  }
  // 2. The reordered sequence: equal code points keep their relative order, so the k-th occurrence in the result
  // is the k-th occurrence in the concatenated decompositions.
  const taken = new Map<number, number>();
  const seqCps: number[] = [];
  const seqChanges: number[] = [];
  for (const part of segment.normalize(decomposition)) {
    const p = part.codePointAt(0)!;
    const k = taken.get(p) ?? 0;
    taken.set(p, k + 1);
    const index = byCodePoint.get(p)?.[k];
    if (index === undefined) throw new Error(`normalization: cannot align U+${p.toString(16)} in ${decomposition}`);
    seqCps.push(p);
    seqChanges.push(changeOf[index]);
  }
  if (form === 'NFD' || form === 'NFKD') {
    for (let k = 0; k < seqCps.length; k++) {
      out.cps.push(seqCps[k]);
      out.changes.push(seqChanges[k]);
    }
    return;
  }
  // 3. Composition: each output character is the next unused character of the sequence, plus the characters it
  // absorbed (found in order among the later unused ones).
  const used = new Uint8Array(seqCps.length);
  let next = 0;
  for (const char of segment.normalize(form)) {
    while (next < seqCps.length && used[next]) next++;
    const parts = [...char.normalize('NFD')].map((p) => p.codePointAt(0)!);
    if (parts[0] !== seqCps[next]) {
      throw new Error(`normalization: cannot align the composition U+${char.codePointAt(0)!.toString(16)}`);
    }
    let change = seqChanges[next];
    used[next] = 1;
    let search = next + 1;
    for (let j = 1; j < parts.length; j++) {
      let q = search;
      while (q < seqCps.length && (used[q] || seqCps[q] !== parts[j])) q++;
      if (q >= seqCps.length) {
        throw new Error(`normalization: cannot align the composition U+${char.codePointAt(0)!.toString(16)}`);
      }
      used[q] = 1;
      change += seqChanges[q] - 1;
      search = q + 1;
    }
    out.cps.push(char.codePointAt(0)!);
    out.changes.push(change);
  }
}

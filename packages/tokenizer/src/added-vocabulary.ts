/**
 * Added tokens (special or not) that are cut out of the input before the model sees it. Reproduces Hugging Face's
 * `AddedVocabulary`: ids assigned the way its `add_tokens` assigns them, two matchers (tokens matched on the raw
 * text, and `normalized` ones matched on each normalized piece), leftmost-longest matching, and the `single_word`,
 * `lstrip` and `rstrip` rules.
 */
import type { Model } from './models/model.js';
import type { Normalizer } from './normalizers/normalizer.js';
import { NormalizedString } from './text/normalized-string.js';
import { PreTokenizedString, type Split } from './text/pre-tokenized-string.js';
import { rustRegexWord, rustWhitespace } from './unicode/classes.js';

export interface AddedToken {
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A leftmost-longest multi-pattern matcher over UTF-16 strings (a trie walked from each candidate position). */
export class TokenMatcher {
  private readonly root = new Map<number, TrieNode>();
  private readonly firstUnits = new Uint8Array(0x10000);
  readonly size: number;

  constructor(patterns: ReadonlyArray<{ text: string; id: number }>) {
    let size = 0;
    for (const { text, id } of patterns) {
      if (text === '') continue;
      let level = this.root;
      let node: TrieNode | undefined;
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        node = level.get(unit);
        if (node === undefined) {
          node = { children: new Map(), id: -1 };
          level.set(unit, node);
        }
        level = node.children;
      }
      // The first pattern with a given text wins, as in aho-corasick's pattern order.
      if (node!.id < 0) node!.id = id;
      this.firstUnits[text.charCodeAt(0)] = 1;
      size++;
    }
    this.size = size;
  }

  /** Appends [start, end, id] triples of the non-overlapping leftmost-longest matches in text to out. */
  findAll(text: string, out: number[]): void {
    if (this.size === 0) return;
    const first = this.firstUnits;
    for (let i = 0; i < text.length; ) {
      if (!first[text.charCodeAt(i)]) {
        i++;
        continue;
      }
      let level = this.root;
      let bestEnd = -1;
      let bestId = -1;
      for (let j = i; j < text.length; j++) {
        const node = level.get(text.charCodeAt(j));
        if (node === undefined) break;
        if (node.id >= 0) {
          bestEnd = j + 1;
          bestId = node.id;
        }
        level = node.children;
      }
      if (bestEnd < 0) {
        i++;
        continue;
      }
      out.push(i, bestEnd, bestId);
      i = bestEnd;
    }
  }
}

interface TrieNode {
  children: Map<number, TrieNode>;
  id: number;
}

export class AddedVocabulary {
  /** content -> id, for every added token. */
  readonly contentToId = new Map<string, number>();
  /** id -> token. */
  readonly idToAdded = new Map<number, AddedToken>();
  private readonly specialContents = new Set<string>();
  private rawMatcher!: TokenMatcher;
  private normalizedMatcher!: TokenMatcher;
  /** Tokens in the order the matchers list them: special ones first, then the others. */
  private specialOrder: AddedToken[] = [];
  private classicOrder: AddedToken[] = [];

  constructor(
    private readonly model: Model,
    private readonly normalizer: Normalizer | null,
  ) {
    this.rebuild();
  }

  get size(): number {
    return this.contentToId.size;
  }

  isSpecial(content: string): boolean {
    return this.specialContents.has(content);
  }

  tokenToId(content: string): number | undefined {
    return this.contentToId.get(content) ?? this.model.tokenToId(content);
  }

  /** Adds tokens as Hugging Face's `add_tokens` does (an existing content keeps its id). Returns how many. */
  add(tokens: readonly AddedToken[]): number {
    for (const token of tokens) {
      if (token.special && token.content !== '' && !this.specialContents.has(token.content)) {
        this.specialOrder.push(token);
        this.specialContents.add(token.content);
      }
    }
    let added = 0;
    for (const token of tokens) {
      if (token.content === '' || [...this.idToAdded.values()].some((t) => sameToken(t, token))) continue;
      let id = this.tokenToId(token.content);
      if (id === undefined) {
        const vocabSize = this.model.vocabSize();
        let max = -1;
        for (const v of this.contentToId.values()) max = Math.max(max, v);
        id = max < 0 ? vocabSize : max >= vocabSize || vocabSize === 0 ? max + 1 : vocabSize;
      }
      this.contentToId.set(token.content, id);
      this.idToAdded.set(id, token);
      if (!this.specialContents.has(token.content)) this.classicOrder.push(token);
      added++;
    }
    this.rebuild();
    return added;
  }

  private rebuild(): void {
    const raw: Array<{ text: string; id: number }> = [];
    const normalized: Array<{ text: string; id: number }> = [];
    for (const token of [...this.specialOrder, ...this.classicOrder]) {
      const id = this.tokenToId(token.content)!;
      if (token.normalized) {
        const ns = new NormalizedString(token.content);
        this.normalizer?.normalize(ns);
        normalized.push({ text: ns.normalized, id });
      } else {
        raw.push({ text: token.content, id });
      }
    }
    this.rawMatcher = new TokenMatcher(raw);
    this.normalizedMatcher = new TokenMatcher(normalized);
  }

  get hasNormalizedTokens(): boolean {
    return this.normalizedMatcher.size > 0;
  }

  get hasRawTokens(): boolean {
    return this.rawMatcher.size > 0;
  }

  /**
   * Splits `sentence` into [start, end, id] triples covering it, id -1 for text between added tokens (Hugging Face's
   * `find_matches`). `normalized` selects the matcher for normalized tokens.
   */
  findSplits(sentence: string, normalized: boolean): number[] {
    if (sentence.length === 0) return [0, 0, -1];
    const matches: number[] = [];
    (normalized ? this.normalizedMatcher : this.rawMatcher).findAll(sentence, matches);
    const out: number[] = [];
    let startOffset = 0;
    for (let k = 0; k < matches.length; k += 3) {
      let start = matches[k];
      let stop = matches[k + 1];
      const id = matches[k + 2];
      const token = this.idToAdded.get(id)!;
      if (token.singleWord) {
        const startSpace = start === 0 || !rustRegexWord.has(codePointBefore(sentence, start));
        const stopSpace = stop === sentence.length || !rustRegexWord.has(sentence.codePointAt(stop)!);
        if (!startSpace || !stopSpace) continue;
      }
      if (token.lstrip) {
        let newStart = start;
        while (newStart > 0 && rustWhitespace.has(sentence.charCodeAt(newStart - 1))) newStart--;
        start = Math.max(newStart, startOffset);
      }
      if (token.rstrip) {
        while (stop < sentence.length && rustWhitespace.has(sentence.charCodeAt(stop))) stop++;
      }
      if (startOffset < start) out.push(startOffset, start, -1);
      out.push(start, stop, id);
      startOffset = stop;
    }
    if (startOffset !== sentence.length) out.push(startOffset, sentence.length, -1);
    return out;
  }

  /** Cuts the added tokens out of the input and normalizes the rest (Hugging Face's `extract_and_normalize`). */
  extractAndNormalize(text: string): PreTokenizedString {
    const pts = new PreTokenizedString([{ ns: new NormalizedString(text), tokens: null }]);
    pts.splitWithTokens((ns) => this.splitWithIds(ns, false));
    pts.splitWithTokens((ns) => {
      this.normalizer?.normalize(ns);
      return this.splitWithIds(ns, true);
    });
    return pts;
  }

  private splitWithIds(ns: NormalizedString, normalized: boolean): Split[] {
    const splits = this.findSplits(ns.normalized, normalized);
    const out: Split[] = [];
    for (let k = 0; k < splits.length; k += 3) {
      const piece = ns.slice(splits[k], splits[k + 1])!;
      const id = splits[k + 2];
      const tokens =
        id >= 0
          ? { ids: [id], starts: [0], ends: [piece.length], values: [piece.normalized] as Array<string | undefined> }
          : null;
      out.push({ ns: piece, tokens });
    }
    return out;
  }
}

function sameToken(a: AddedToken, b: AddedToken): boolean {
  return (
    a.content === b.content &&
    a.singleWord === b.singleWord &&
    a.lstrip === b.lstrip &&
    a.rstrip === b.rstrip &&
    a.normalized === b.normalized &&
    a.special === b.special
  );
}

function codePointBefore(text: string, i: number): number {
  const c = text.charCodeAt(i - 1);
  if (c >= 0xdc00 && c < 0xe000 && i >= 2) {
    const h = text.charCodeAt(i - 2);
    if (h >= 0xd800 && h < 0xdc00) return 0x10000 + ((h - 0xd800) << 10) + (c - 0xdc00);
  }
  return c;
}

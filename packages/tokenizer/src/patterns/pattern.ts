/**
 * What the splitting and replacing steps search for. `findMatches` reproduces Hugging Face's `Pattern::find_matches`:
 * it covers the whole text with consecutive pieces, each flagged as a match or not, as flat triples
 * [start, end, isMatch(1|0), ...] in UTF-16 units. An empty text yields one empty non-match.
 */
export interface Pattern {
  findMatches(text: string): number[];
}

/** Splits the text around the matches of a global regex (must have the `g` flag). */
export class RegexPattern implements Pattern {
  constructor(readonly regex: RegExp) {
    if (!regex.global) throw new Error('RegexPattern needs a global regex');
  }

  findMatches(text: string): number[] {
    if (text.length === 0) return [0, 0, 0];
    const out: number[] = [];
    const regex = this.regex;
    regex.lastIndex = 0;
    let prev = 0;
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (start === end) {
        // An empty match: step over one character, as the Rust iterators do.
        regex.lastIndex = end + (text.codePointAt(end)! > 0xffff ? 2 : 1);
        if (end >= text.length) break;
      }
      if (prev !== start) out.push(prev, start, 0);
      out.push(start, end, 1);
      prev = end;
    }
    if (prev !== text.length) out.push(prev, text.length, 0);
    return out;
  }
}

/** Splits around every occurrence of a literal string (leftmost, non-overlapping). */
export class StringPattern implements Pattern {
  constructor(readonly literal: string) {}

  findMatches(text: string): number[] {
    if (text.length === 0) return [0, 0, 0];
    if (this.literal === '') return [0, text.length, 0];
    const out: number[] = [];
    let prev = 0;
    for (let at = text.indexOf(this.literal); at >= 0; at = text.indexOf(this.literal, prev)) {
      if (prev !== at) out.push(prev, at, 0);
      prev = at + this.literal.length;
      out.push(at, prev, 1);
    }
    if (prev !== text.length) out.push(prev, text.length, 0);
    return out;
  }
}

/** Each character the predicate accepts is its own match (Rust's `impl Pattern for Fn(char) -> bool`). */
export class CharPattern implements Pattern {
  constructor(readonly accepts: (cp: number) => boolean) {}

  findMatches(text: string): number[] {
    if (text.length === 0) return [0, 0, 0];
    const out: number[] = [];
    let last = 0;
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      const next = i + (cp > 0xffff ? 2 : 1);
      if (this.accepts(cp)) {
        if (last < i) out.push(last, i, 0);
        out.push(i, next, 1);
        last = next;
      }
      i = next;
    }
    if (text.length > last) out.push(last, text.length, 0);
    return out;
  }
}

/** Flips match and non-match (the `invert` flag of the Split pre-tokenizer). */
export class InvertedPattern implements Pattern {
  constructor(readonly inner: Pattern) {}

  findMatches(text: string): number[] {
    const out = this.inner.findMatches(text);
    for (let i = 2; i < out.length; i += 3) out[i] = out[i] === 1 ? 0 : 1;
    return out;
  }
}

/**
 * Translates the Oniguruma regexes of tokenizer.json files (Hugging Face compiles them with the `onig` crate, Ruby
 * syntax) into JavaScript regexes with the same meaning:
 *
 * - `\p{L}`, `\s`, `\w`, `\d` and friends become explicit character ranges from the oracle's own Unicode tables, so
 *   the result does not depend on the JavaScript engine's Unicode version;
 * - `(?i:...)` groups (not expressible in the JavaScript of Node 20) have their letters expanded to case classes;
 * - `.` excludes only `\n`, `^`/`$` are line anchors (Ruby semantics), `\b` uses Unicode word characters.
 *
 * Constructs JavaScript cannot express (atomic groups, possessive quantifiers, class intersections, ...) throw a
 * TokenizerConfigError that quotes the pattern.
 */
import { TokenizerConfigError } from '../errors.js';
import { onigSpace, onigWord } from '../unicode/classes.js';
import type { CodePointSet } from '../unicode/code-point-set.js';
import { categoryMask, categoryTable } from '../unicode/general-category.js';

type Ranges = Array<[number, number]>;

const rangeCache = new Map<string, Ranges>();

function categoryRanges(mask: number): Ranges {
  const key = `gc:${mask}`;
  let ranges = rangeCache.get(key);
  if (ranges !== undefined) return ranges;
  const table = categoryTable();
  ranges = [];
  let start = -1;
  for (let cp = 0; cp <= 0x110000; cp++) {
    const inside = cp < 0x110000 && (mask & (1 << table[cp])) !== 0;
    if (inside && start < 0) start = cp;
    else if (!inside && start >= 0) {
      ranges.push([start, cp]);
      start = -1;
    }
  }
  rangeCache.set(key, ranges);
  return ranges;
}

function setRanges(name: string, set: CodePointSet): Ranges {
  let ranges = rangeCache.get(name);
  if (ranges === undefined) {
    ranges = set.ranges();
    rangeCache.set(name, ranges);
  }
  return ranges;
}

function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let cursor = 0;
  for (const [s, e] of ranges) {
    if (s > cursor) out.push([cursor, s]);
    cursor = e;
  }
  if (cursor < 0x110000) out.push([cursor, 0x110000]);
  return out;
}

function escapeCodePoint(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** The inside of a JS character class (no brackets) for a list of ranges. */
function classBody(ranges: Ranges): string {
  let out = '';
  for (const [s, e] of ranges) {
    out += e - s === 1 ? escapeCodePoint(s) : `${escapeCodePoint(s)}-${escapeCodePoint(e - 1)}`;
  }
  return out;
}

const DIGIT_MASK = categoryMask('Nd')!;
const UNASSIGNED = categoryMask('Cn')!;

/**
 * A script (`\p{Han}`) or binary property (`\p{Alphabetic}`): taken from the JavaScript engine's Unicode data but
 * limited to characters the oracle's Unicode version assigns, so newer characters do not match.
 */
function propertyRanges(name: string, letter: string, property: string, pattern: string): Ranges {
  const key = `property:${name}`;
  const cached = rangeCache.get(key);
  if (cached !== undefined) return cached;
  const capitalized = name
    .split(/[_\s-]+/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join('_');
  let test: RegExp | undefined;
  for (const candidate of [name, `Script=${name}`, capitalized, `Script=${capitalized}`]) {
    try {
      test = new RegExp(`^\\p{${candidate}}$`, 'u');
      break;
    } catch {
      // not a property name JavaScript knows in this spelling
    }
  }
  if (test === undefined) {
    throw new TokenizerConfigError(
      `regex ${JSON.stringify(pattern)}: unsupported Unicode property \\${letter}{${property}}`,
    );
  }
  const table = categoryTable();
  const ranges: Ranges = [];
  let start = -1;
  for (let cp = 0; cp <= 0x110000; cp++) {
    const inside = cp < 0x110000 && (UNASSIGNED & (1 << table[cp])) === 0 && test.test(String.fromCodePoint(cp));
    if (inside && start < 0) start = cp;
    else if (!inside && start >= 0) {
      ranges.push([start, cp]);
      start = -1;
    }
  }
  rangeCache.set(key, ranges);
  return ranges;
}

/**
 * Oniguruma's `\w` outside brackets also matches six Latin-1 characters (superscripts ¹²³, fractions ¼½¾) that
 * `[\w]` inside brackets does not; the oracle shows both behaviours, so both are reproduced.
 */
function classWordRanges(): Ranges {
  let ranges = rangeCache.get('class-word');
  if (ranges === undefined) {
    const excluded = new Set([0xb2, 0xb3, 0xb9, 0xbc, 0xbd, 0xbe]);
    ranges = [];
    for (const [s, e] of setRanges('word', onigWord)) {
      let start = s;
      for (let cp = s; cp < e; cp++) {
        if (excluded.has(cp)) {
          if (start < cp) ranges.push([start, cp]);
          start = cp + 1;
        }
      }
      if (start < e) ranges.push([start, e]);
    }
    rangeCache.set('class-word', ranges);
  }
  return ranges;
}

/** Ranges for an escape that denotes a class (`\s`, `\p{L}`, ...), or undefined if it is not one. */
function escapeClass(
  letter: string,
  property: string | undefined,
  pattern: string,
  inClass: boolean,
): Ranges | undefined {
  switch (letter) {
    case 's':
      return setRanges('space', onigSpace);
    case 'S':
      return complement(setRanges('space', onigSpace));
    case 'w':
      return inClass ? classWordRanges() : setRanges('word', onigWord);
    case 'W':
      return complement(inClass ? classWordRanges() : setRanges('word', onigWord));
    case 'd':
      return categoryRanges(DIGIT_MASK);
    case 'D':
      return complement(categoryRanges(DIGIT_MASK));
    case 'h':
      return [
        [0x30, 0x3a],
        [0x41, 0x47],
        [0x61, 0x67],
      ];
    case 'H':
      return complement([
        [0x30, 0x3a],
        [0x41, 0x47],
        [0x61, 0x67],
      ]);
    case 'p':
    case 'P': {
      let name = property!;
      let negate = letter === 'P';
      if (name.startsWith('^')) {
        negate = !negate;
        name = name.slice(1);
      }
      const mask = categoryMask(name);
      const ranges = mask !== undefined ? categoryRanges(mask) : propertyRanges(name, letter, property!, pattern);
      return negate ? complement(ranges) : ranges;
    }
    default:
      return undefined;
  }
}

/** Characters equal to ch under Unicode simple case folding (as Oniguruma's (?i) matches single characters). */
function caseVariants(ch: string): string[] {
  const candidates = new Set<string>([ch, ch.toLowerCase(), ch.toUpperCase()]);
  for (const c of [...candidates]) {
    candidates.add(c.toLowerCase());
    candidates.add(c.toUpperCase());
  }
  for (const extra of FOLD_EXTRAS[ch.toLowerCase()] ?? []) candidates.add(extra);
  const re = new RegExp(`^${escapeCodePoint(ch.codePointAt(0)!)}$`, 'iu');
  return [...candidates].filter((c) => [...c].length === 1 && re.test(c));
}

// Characters whose simple case folding joins a class that toLowerCase/toUpperCase alone do not reach.
const FOLD_EXTRAS: Record<string, string[]> = {
  s: ['\u017f'],
  k: ['\u212a'],
  å: ['\u212b'],
  ß: ['\u1e9e'],
  σ: ['\u03c2'],
  ς: ['\u03c3', '\u03a3'],
  ι: ['\u0345', '\u1fbe'],
  μ: ['\u00b5'],
  µ: ['\u03bc', '\u039c'],
  β: ['\u03d0'],
  θ: ['\u03d1', '\u03f4'],
  φ: ['\u03d5'],
  π: ['\u03d6'],
  κ: ['\u03f0'],
  ρ: ['\u03f1'],
  ε: ['\u03f5'],
  ṡ: ['\u1e9b'],
  ω: ['\u2126'],
};

class Translator {
  private i = 0;
  private out = '';

  constructor(private readonly src: string) {}

  fail(what: string): never {
    throw new TokenizerConfigError(`regex ${JSON.stringify(this.src)}: ${what} is not supported`);
  }

  translate(): string {
    this.sequence(false, 0);
    if (this.i < this.src.length) this.fail(`unbalanced ')' at ${this.i}`);
    return this.out;
  }

  /** Translates until the end or a ')' at depth > 0. */
  private sequence(ignoreCase: boolean, depth: number): void {
    const src = this.src;
    while (this.i < src.length) {
      const c = src[this.i];
      if (c === ')') {
        if (depth === 0) this.fail(`unbalanced ')' at ${this.i}`);
        return;
      }
      if (c === '(') {
        this.group(ignoreCase, depth);
        continue;
      }
      if (c === '[') {
        this.out += this.charClass(ignoreCase);
        continue;
      }
      if (c === '\\') {
        this.escape(ignoreCase);
        continue;
      }
      if (c === '.') {
        this.out += '[^\\n]';
        this.i++;
        continue;
      }
      if (c === '^') {
        this.out += '(?<![^\\n])';
        this.i++;
        continue;
      }
      if (c === '$') {
        this.out += '(?![^\\n])';
        this.i++;
        continue;
      }
      if (c === '*' || c === '+' || c === '?') {
        this.out += c;
        this.i++;
        const n = src[this.i];
        if (n === '+') this.fail('a possessive quantifier');
        if (n === '?') {
          this.out += '?';
          this.i++;
        }
        continue;
      }
      if (c === '{') {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(src.slice(this.i));
        if (m === null || (m[1] === '' && m[3] === '')) {
          this.out += '\\{';
          this.i++;
          continue;
        }
        this.out += `{${m[1] === '' ? '0' : m[1]}${m[2]}${m[3]}}`;
        this.i += m[0].length;
        if (src[this.i] === '+') this.fail('a possessive quantifier');
        if (src[this.i] === '?') {
          this.out += '?';
          this.i++;
        }
        continue;
      }
      if (c === '|') {
        this.out += '|';
        this.i++;
        continue;
      }
      const cp = src.codePointAt(this.i)!;
      const ch = String.fromCodePoint(cp);
      this.i += ch.length;
      this.out += this.literal(ch, ignoreCase);
    }
  }

  private literal(ch: string, ignoreCase: boolean): string {
    if (ignoreCase) {
      const variants = caseVariants(ch);
      if (variants.length > 1) return `[${variants.map((v) => escapeCodePoint(v.codePointAt(0)!)).join('')}]`;
    }
    return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
  }

  private group(ignoreCase: boolean, depth: number): void {
    const src = this.src;
    this.i++;
    let inner = ignoreCase;
    if (src[this.i] === '?') {
      const rest = src.slice(this.i);
      const flags = /^\?([imx]*)(?:-([imx]*))?(:|\))/.exec(rest);
      if (flags !== null && (flags[1] !== '' || flags[2] !== undefined)) {
        const on = flags[1];
        const off = flags[2] ?? '';
        if (/[mx]/.test(on + off)) this.fail(`the inline option (${flags[0]}`);
        if (on.includes('i')) inner = true;
        if (off.includes('i')) inner = false;
        this.i += flags[0].length;
        if (flags[3] === ')') {
          // (?i) applies to the rest of the enclosing group.
          this.sequence(inner, depth);
          return;
        }
        this.out += '(?:';
      } else if (rest.startsWith('?:') || rest.startsWith('?=') || rest.startsWith('?!')) {
        this.out += `(${rest.slice(0, 2)}`;
        this.i += 2;
      } else if (rest.startsWith('?<=') || rest.startsWith('?<!')) {
        this.out += `(${rest.slice(0, 3)}`;
        this.i += 3;
      } else if (/^\?<[A-Za-z_]\w*>/.test(rest)) {
        const m = /^\?<[A-Za-z_]\w*>/.exec(rest)!;
        this.out += `(${m[0]}`;
        this.i += m[0].length;
      } else if (rest.startsWith('?>')) {
        this.fail('an atomic group (?>...)');
      } else {
        this.fail(`the group syntax (${rest.slice(0, 3)}`);
      }
    } else {
      this.out += '(';
    }
    this.sequence(inner, depth + 1);
    if (src[this.i] !== ')') this.fail('an unterminated group');
    this.i++;
    this.out += ')';
  }

  /** Reads an escape at this.i; returns class ranges, or a single code point, or a raw JS fragment. */
  private readEscape(inClass: boolean): { ranges?: Ranges; cp?: number; raw?: string } {
    const src = this.src;
    const letter = src[this.i + 1];
    if (letter === undefined) this.fail('a trailing backslash');
    this.i += 2;
    if (letter === 'p' || letter === 'P') {
      if (src[this.i] !== '{') this.fail(`\\${letter} without braces`);
      const close = src.indexOf('}', this.i);
      const name = src.slice(this.i + 1, close);
      this.i = close + 1;
      return { ranges: escapeClass(letter, name, src, inClass) };
    }
    const cls = escapeClass(letter, undefined, src, inClass);
    if (cls !== undefined) return { ranges: cls };
    switch (letter) {
      case 'n':
        return { cp: 0x0a };
      case 'r':
        return { cp: 0x0d };
      case 't':
        return { cp: 0x09 };
      case 'f':
        return { cp: 0x0c };
      case 'v':
        return { cp: 0x0b };
      case 'a':
        return { cp: 0x07 };
      case 'e':
        return { cp: 0x1b };
      case 'x': {
        if (src[this.i] === '{') {
          const close = src.indexOf('}', this.i);
          const cp = Number.parseInt(src.slice(this.i + 1, close), 16);
          this.i = close + 1;
          return { cp };
        }
        const m = /^[0-9a-fA-F]{1,2}/.exec(src.slice(this.i));
        if (m === null) this.fail('\\x without digits');
        this.i += m[0].length;
        return { cp: Number.parseInt(m[0], 16) };
      }
      case 'u': {
        const m = /^[0-9a-fA-F]{4}/.exec(src.slice(this.i));
        if (m === null) this.fail('\\u without four hex digits');
        this.i += 4;
        return { cp: Number.parseInt(m[0], 16) };
      }
      case '0':
        return { cp: 0 };
      case 'A':
        return { raw: '(?<![^])' };
      case 'z':
        return { raw: '(?![^])' };
      case 'Z':
        return { raw: '(?=\\n?(?![^]))' };
      case 'b':
      case 'B': {
        const w = `[${classBody(setRanges('word', onigWord))}]`;
        const boundary = `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`;
        return { raw: letter === 'b' ? boundary : `(?!${boundary})` };
      }
      case 'R':
        return { raw: '(?:\\r\\n|[\\n\\v\\f\\r\\u0085\\u2028\\u2029])' };
      default:
        if (/[1-9]/.test(letter)) return { raw: `\\${letter}` };
        if (/[A-Za-z]/.test(letter)) this.fail(`the escape \\${letter}`);
        return { cp: letter.codePointAt(0)! };
    }
  }

  private escape(ignoreCase: boolean): void {
    const e = this.readEscape(false);
    if (e.ranges !== undefined) this.out += `[${classBody(e.ranges)}]`;
    else if (e.raw !== undefined) this.out += e.raw;
    else this.out += this.literal(String.fromCodePoint(e.cp!), ignoreCase);
  }

  /** Translates a bracket class into a JS class, resolving escapes to explicit ranges. */
  private charClass(ignoreCase: boolean): string {
    const src = this.src;
    this.i++;
    let negate = false;
    if (src[this.i] === '^') {
      negate = true;
      this.i++;
    }
    const items: Ranges = [];
    let first = true;
    while (this.i < src.length && (src[this.i] !== ']' || first)) {
      first = false;
      if (src[this.i] === '[') this.fail('a nested or POSIX character class');
      if (src.startsWith('&&', this.i)) this.fail('a class intersection (&&)');
      let lo: number;
      if (src[this.i] === '\\') {
        const e = this.readEscape(true);
        if (e.ranges !== undefined) {
          items.push(...e.ranges);
          continue;
        }
        if (e.raw !== undefined) this.fail('an anchor inside a character class');
        lo = e.cp!;
      } else {
        lo = src.codePointAt(this.i)!;
        this.i += lo > 0xffff ? 2 : 1;
      }
      if (src[this.i] === '-' && src[this.i + 1] !== ']' && this.i + 1 < src.length) {
        this.i++;
        let hi: number;
        if (src[this.i] === '\\') {
          const e = this.readEscape(true);
          if (e.cp === undefined) this.fail('a class escape as a range end');
          hi = e.cp;
        } else {
          hi = src.codePointAt(this.i)!;
          this.i += hi > 0xffff ? 2 : 1;
        }
        items.push([lo, hi + 1]);
      } else {
        items.push([lo, lo + 1]);
      }
    }
    if (src[this.i] !== ']') this.fail('an unterminated character class');
    this.i++;
    let ranges = items;
    if (ignoreCase) {
      const extra: Ranges = [];
      for (const [s, e] of items) {
        if (e - s > 2000) continue;
        for (let cp = s; cp < e; cp++) {
          for (const v of caseVariants(String.fromCodePoint(cp))) {
            const vc = v.codePointAt(0)!;
            extra.push([vc, vc + 1]);
          }
        }
      }
      ranges = [...items, ...extra];
    }
    ranges = mergeRanges(ranges);
    if (ranges.length === 0) return negate ? '[^]' : '[]';
    return `[${negate ? '^' : ''}${classBody(ranges)}]`;
  }
}

function mergeRanges(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

const compiled = new Map<string, string>();

/** The JavaScript source (for `new RegExp(source, 'gu')`) equivalent to an Oniguruma pattern. */
export function onigToJsSource(pattern: string): string {
  let source = compiled.get(pattern);
  if (source === undefined) {
    source = new Translator(pattern).translate();
    compiled.set(pattern, source);
  }
  return source;
}

/** A global, Unicode-aware JavaScript regex equivalent to an Oniguruma pattern. */
export function onigToJs(pattern: string): RegExp {
  const source = onigToJsSource(pattern);
  try {
    return new RegExp(source, 'gu');
  } catch (error) {
    throw new TokenizerConfigError(
      `regex ${JSON.stringify(pattern)} cannot be translated to JavaScript: ${(error as Error).message}`,
    );
  }
}

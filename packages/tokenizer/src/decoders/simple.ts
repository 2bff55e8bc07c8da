/** The small decoders: Fuse, Strip, Replace, BPEDecoder, WordPiece, CTC, Metaspace, Sequence. */

import { patternOf } from '../normalizers/replace.js';
import type { Pattern } from '../patterns/pattern.js';
import type { PrependScheme } from '../pre-tokenizers/metaspace.js';
import type { SplitPatternSpec } from '../pre-tokenizers/split.js';
import type { Decoder } from './decoder.js';

/** Fuse: all tokens into one. */
export class FuseDecoder implements Decoder {
  readonly type = 'Fuse';

  decodeChain(tokens: string[]): string[] {
    return [tokens.join('')];
  }
}

/** Strip: removes up to `start` leading and `stop` trailing occurrences of a character from each token. */
export class StripDecoder implements Decoder {
  readonly type = 'Strip';

  constructor(
    readonly content: string,
    readonly start: number,
    readonly stop: number,
  ) {}

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token) => {
      const chars = [...token];
      let startCut = 0;
      for (let i = 0; i < Math.min(this.start, chars.length); i++) {
        if (chars[i] !== this.content) break;
        startCut = i + 1;
      }
      let stopCut = chars.length;
      for (let i = 0; i < Math.min(this.stop, chars.length); i++) {
        const index = chars.length - i - 1;
        if (chars[index] !== this.content) break;
        stopCut = index;
      }
      return chars.slice(startCut, Math.max(startCut, stopCut)).join('');
    });
  }
}

/** Replace: replaces every match of a pattern in each token. */
export class ReplaceDecoder implements Decoder {
  readonly type = 'Replace';
  private readonly pattern: Pattern;

  constructor(
    readonly spec: SplitPatternSpec,
    readonly content: string,
  ) {
    this.pattern = patternOf(spec);
  }

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token) => {
      const matches = this.pattern.findMatches(token);
      let out = '';
      for (let i = 0; i < matches.length; i += 3) {
        out += matches[i + 2] === 1 ? this.content : token.slice(matches[i], matches[i + 1]);
      }
      return out;
    });
  }
}

/** BPEDecoder: the end-of-word suffix becomes a space (nothing after the last token). */
export class BpeDecoder implements Decoder {
  readonly type = 'BPEDecoder';

  constructor(readonly suffix: string) {}

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token, i) => token.split(this.suffix).join(i === tokens.length - 1 ? '' : ' '));
  }
}

/** The WordPiece decoder's clean-up of spaces before punctuation and contractions. */
export function wordPieceCleanup(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** WordPiece: joins continuation pieces (prefix removed) and separates words with spaces. */
export class WordPieceDecoder implements Decoder {
  readonly type = 'WordPiece';

  constructor(
    readonly prefix: string,
    readonly cleanup: boolean,
  ) {}

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token, i) => {
      let t = token;
      if (i !== 0) t = t.startsWith(this.prefix) ? t.replace(this.prefix, '') : ` ${t}`;
      return this.cleanup ? wordPieceCleanup(t) : t;
    });
  }
}

/** CTC: collapses repeats, drops padding, maps the word delimiter to a space. */
export class CtcDecoder implements Decoder {
  readonly type = 'CTC';

  constructor(
    readonly padToken: string,
    readonly wordDelimiterToken: string,
    readonly cleanup: boolean,
  ) {}

  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    tokens.forEach((token, i) => {
      if (i > 0 && tokens[i - 1] === token) return;
      let t = token.split(this.padToken).join('');
      if (this.cleanup) t = wordPieceCleanup(t).split(this.wordDelimiterToken).join(' ');
      if (t !== '') out.push(t);
    });
    return out;
  }
}

/** Metaspace: the replacement character becomes a space, except the one prepended to the first token. */
export class MetaspaceDecoder implements Decoder {
  readonly type = 'Metaspace';

  constructor(
    readonly replacement: string,
    readonly prependScheme: PrependScheme,
  ) {}

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token, i) => {
      let out = '';
      for (const char of token) {
        if (char === this.replacement) {
          if (!(i === 0 && this.prependScheme !== 'never')) out += ' ';
        } else {
          out += char;
        }
      }
      return out;
    });
  }
}

/** Sequence: each decoder's output feeds the next. */
export class SequenceDecoder implements Decoder {
  readonly type = 'Sequence';

  constructor(readonly members: readonly Decoder[]) {}

  decodeChain(tokens: string[]): string[] {
    let out = tokens;
    for (const member of this.members) out = member.decodeChain(out);
    return out;
  }
}

/**
 * Metaspace (SentencePiece style): replaces each space with the replacement character (`▁`), prepends one
 * (always, only at the start of the input, or never), then cuts before each replacement character.
 */
import { CharPattern, StringPattern } from '../patterns/pattern.js';
import type { PreTokenizedString } from '../text/pre-tokenized-string.js';
import type { PreTokenizer } from './pre-tokenizer.js';

export type PrependScheme = 'always' | 'first' | 'never';

export class MetaspacePreTokenizer implements PreTokenizer {
  readonly type = 'Metaspace';
  private readonly space = new StringPattern(' ');
  private readonly delimiter: CharPattern;

  constructor(
    readonly replacement: string,
    readonly prependScheme: PrependScheme,
    readonly splitOnReplacement: boolean,
  ) {
    const cp = replacement.codePointAt(0)!;
    this.delimiter = new CharPattern((c) => c === cp);
  }

  preTokenize(pts: PreTokenizedString): void {
    pts.split((ns) => {
      ns.replace(this.space, this.replacement);
      const needsPrefix = !ns.normalized.startsWith(this.replacement);
      if (this.prependScheme === 'always' && needsPrefix) ns.prepend(this.replacement);
      else if (this.prependScheme === 'first' && needsPrefix && ns.originalShift === 0) ns.prepend(this.replacement);
      return this.splitOnReplacement ? ns.split(this.delimiter, 'MergedWithNext') : [ns];
    });
  }
}

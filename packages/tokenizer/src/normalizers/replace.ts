/** Replace (a literal or an Oniguruma regex, every match) and Prepend (text before the first character). */
import { onigToJs } from '../patterns/onig-to-js.js';
import { type Pattern, RegexPattern, StringPattern } from '../patterns/pattern.js';
import type { SplitPatternSpec } from '../pre-tokenizers/split.js';
import type { NormalizedString } from '../text/normalized-string.js';
import type { Normalizer } from './normalizer.js';

export function patternOf(spec: SplitPatternSpec): Pattern {
  return 'Regex' in spec ? new RegexPattern(onigToJs(spec.Regex)) : new StringPattern(spec.String);
}

export class ReplaceNormalizer implements Normalizer {
  readonly type = 'Replace';
  private readonly pattern: Pattern;

  constructor(
    readonly spec: SplitPatternSpec,
    readonly content: string,
  ) {
    this.pattern = patternOf(spec);
  }

  normalize(ns: NormalizedString): void {
    ns.replace(this.pattern, this.content);
  }

  leavesUnchanged(text: string): boolean {
    if ('String' in this.spec) return this.spec.String === '' || !text.includes(this.spec.String);
    return false;
  }
}

export class PrependNormalizer implements Normalizer {
  readonly type = 'Prepend';

  constructor(readonly prepend: string) {}

  normalize(ns: NormalizedString): void {
    ns.prepend(this.prepend);
  }

  leavesUnchanged(text: string): boolean {
    return text.length === 0 || this.prepend === '';
  }
}

/**
 * The named character classes the components of a tokenizer.json test characters against. Each reproduces the
 * exact predicate of the Rust code it stands for (see scripts/generate-unicode-data.mjs for where each comes from).
 */
import { CodePointSet } from './code-point-set.js';
import {
  BERT_NON_SPACING_MARK_RANGES,
  BERT_REMOVED_RANGES,
  NFD_INERT_RANGES,
  NFKD_INERT_RANGES,
  NON_SPACING_MARK_RANGES,
  ONIG_SPACE_RANGES,
  ONIG_WORD_RANGES,
  PUNCTUATION_RANGES,
  RUST_NUMERIC_RANGES,
  RUST_REGEX_WORD_RANGES,
  RUST_WHITESPACE_RANGES,
} from './unicode-data.generated.js';

/** `\s` in an Oniguruma regex (tokenizer.json `Regex` patterns): White_Space, U+0085 included, U+FEFF not. */
export const onigSpace = new CodePointSet(ONIG_SPACE_RANGES);
/** `\w` in an Oniguruma regex. */
export const onigWord = new CodePointSet(ONIG_WORD_RANGES);
/** `\w` in the Rust `regex` crate: decides `single_word` added-token boundaries. */
export const rustRegexWord = new CodePointSet(RUST_REGEX_WORD_RANGES);
/** Rust's `char::is_whitespace` (WhitespaceSplit, Strip, BERT). */
export const rustWhitespace = new CodePointSet(RUST_WHITESPACE_RANGES);
/** Rust's `char::is_numeric` (Digits). */
export const rustNumeric = new CodePointSet(RUST_NUMERIC_RANGES);
/** ASCII punctuation or the `unicode_categories` crate's punctuation (Punctuation, BertPreTokenizer). */
export const punctuation = new CodePointSet(PUNCTUATION_RANGES);
/** What BERT's clean_text removes: NUL, U+FFFD and "other" characters except tab, newline and carriage return. */
export const bertRemoved = new CodePointSet(BERT_REMOVED_RANGES);
/** The marks the StripAccents normalizer removes. */
export const nonSpacingMark = new CodePointSet(NON_SPACING_MARK_RANGES);
/** Non-spacing marks as the `unicode_categories` crate defines them (BERT's strip_accents, after NFD). */
export const bertNonSpacingMark = new CodePointSet(BERT_NON_SPACING_MARK_RANGES);
/** Characters the oracle's canonical normalization does not know (newer than its tables): left as they are. */
export const nfdInert = new CodePointSet(NFD_INERT_RANGES);
/** Characters the oracle's compatibility normalization does not know. */
export const nfkdInert = new CodePointSet(NFKD_INERT_RANGES);

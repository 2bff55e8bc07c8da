/** Well-formedness of JavaScript strings, which may hold lone UTF-16 surrogates that no UTF-8 text can. */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Replaces lone surrogates with U+FFFD, as TextEncoder and the N-API string conversion do: a tokenizer works on
 * Unicode scalar values, and a JavaScript string may hold halves of a pair. Offsets are unchanged (one unit each).
 */
export function toWellFormed(text: string): string {
  if (!ANY_SURROGATE.test(text)) return text;
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * The Falcon-H1 tokenizer family, as far as it is described publicly: byte-level BPE with GPT-2's byte alphabet,
 * the Llama-3 pre-tokenizer regex with digits and punctuation split apart (the 'falcon-h1' training preset), and
 * Falcon-style special tokens at the lowest ids. Falcon-H1's own tokenizer.json loads like any other; this list is
 * what `falcon-h1 train-tokenizer --falcon-special-tokens` and the tests use to build one of the same shape.
 */

/** Falcon-style special tokens (illustrative: the real files' full lists are not public here). */
export const FALCON_H1_STYLE_SPECIAL_TOKENS: readonly string[] = [
  '<|pad|>',
  '>>ABSTRACT<<',
  '>>INTRODUCTION<<',
  '>>SUMMARY<<',
  '>>COMMENT<<',
  '>>ANSWER<<',
  '>>QUESTION<<',
  '>>DOMAIN<<',
  '>>PREFIX<<',
  '>>SUFFIX<<',
  '>>MIDDLE<<',
  '<|begin_of_text|>',
  '<|end_of_text|>',
  '<|im_start|>',
  '<|im_end|>',
];

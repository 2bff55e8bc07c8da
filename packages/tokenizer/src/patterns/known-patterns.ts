/**
 * Recognises the pre-tokenizer regexes that have a hand-written scanner (exact string match on the tokenizer.json
 * pattern), so Split and ByteLevel use the scanner instead of a JavaScript regex.
 */
import { Gpt2Scanner } from './gpt2-scanner.js';
import { Llama3Scanner } from './llama3-scanner.js';

/** Scans text[start, end) and appends the [start, end) pairs of the matches; the matches tile the range. */
export interface Scanner {
  scan(text: string, start: number, end: number, out: number[]): void;
}

/** GPT-2's pattern, used by the ByteLevel pre-tokenizer. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const LLAMA3_PREFIX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|";
const LLAMA3_SUFFIX = '| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';

/** The Llama-3 (cl100k) pattern: numbers in groups of up to three digits. */
export const LLAMA3_PATTERN = `${LLAMA3_PREFIX}\\p{N}{1,3}${LLAMA3_SUFFIX}`;
/** The Qwen2/Qwen3 pattern: one digit per number token. */
export const QWEN2_PATTERN = `${LLAMA3_PREFIX}\\p{N}${LLAMA3_SUFFIX}`;

export function scannerFor(pattern: string): Scanner | undefined {
  if (pattern === GPT2_PATTERN) return new Gpt2Scanner();
  if (pattern === LLAMA3_PATTERN) return new Llama3Scanner(3);
  if (pattern === QWEN2_PATTERN) return new Llama3Scanner(1);
  return undefined;
}

/**
 * Named pre-tokenizer configurations (tokenizer.json form) for training, all byte-level: what `trainBpe` and the
 * CLI's --pre-tokenizer accept besides a full pre_tokenizer object.
 */
import { LLAMA3_PATTERN, QWEN2_PATTERN } from '../patterns/known-patterns.js';

export type PreTokenizerPreset = 'gpt2' | 'llama3' | 'qwen2' | 'falcon-h1';

const byteLevel = (useRegex: boolean) => ({
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: useRegex,
});
const split = (pattern: string) => ({
  type: 'Split',
  pattern: { Regex: pattern },
  behavior: 'Isolated',
  invert: false,
});

export const PRE_TOKENIZER_PRESETS: Record<PreTokenizerPreset, object> = {
  /** GPT-2: ByteLevel with its built-in regex. */
  gpt2: byteLevel(true),
  /** Llama 3: the cl100k regex (numbers in groups of three), then bytes. */
  llama3: { type: 'Sequence', pretokenizers: [split(LLAMA3_PATTERN), byteLevel(false)] },
  /** Qwen2/Qwen3: the same regex with one digit per number piece. */
  qwen2: { type: 'Sequence', pretokenizers: [split(QWEN2_PATTERN), byteLevel(false)] },
  /**
   * Falcon-H1 style: the Llama-3 regex, every digit apart, runs of punctuation apart, then bytes. (An
   * illustration of the family's description; Falcon-H1's own tokenizer.json is not public here.)
   */
  'falcon-h1': {
    type: 'Sequence',
    pretokenizers: [
      split(LLAMA3_PATTERN),
      { type: 'Digits', individual_digits: true },
      { type: 'Punctuation', behavior: 'Contiguous' },
      byteLevel(false),
    ],
  },
};

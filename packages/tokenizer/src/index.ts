/**
 * @falcon-h1/tokenizer: Hugging Face tokenizer.json loading with ids, tokens and offsets identical to the
 * `tokenizers` library, byte-level BPE training, and chat templates. Browser-safe: file-system helpers live in
 * `@falcon-h1/tokenizer/node`.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/tokenizer';

export type { AddedToken } from './added-vocabulary.js';
export { byteLevelAlphabet } from './byte-level/byte-chars.js';
export type { ChatMessage, ChatTemplateOptions } from './chat-template.js';
export { applyChatTemplate, ChatTemplate } from './chat-template.js';
export { codePointIndex, Encoding } from './encoding.js';
export { TokenizerConfigError, UnsupportedComponentError } from './errors.js';
export { FALCON_H1_STYLE_SPECIAL_TOKENS } from './falcon-h1.js';
export { GPT2_PATTERN, LLAMA3_PATTERN, QWEN2_PATTERN } from './patterns/known-patterns.js';
export type { DecodeOptions, EncodeInput, EncodeOptions, TokenizerParts } from './tokenizer.js';
export { Tokenizer } from './tokenizer.js';
export type { PreTokenizerPreset } from './training/pre-tokenizer-presets.js';
export { PRE_TOKENIZER_PRESETS } from './training/pre-tokenizer-presets.js';
export type { TrainBpeOptions, TrainBpeProgress, TrainBpeResult } from './training/train-bpe.js';
export { trainBpe } from './training/train-bpe.js';
export type { PaddingParams, TruncationParams } from './truncation-padding.js';

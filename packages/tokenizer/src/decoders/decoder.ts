/** The contract of the decoders: turn token strings back into text, one chain step at a time. */

export interface Decoder {
  readonly type: string;
  /** One step of the chain: tokens in, (fewer or rewritten) tokens out. */
  decodeChain(tokens: string[]): string[];
}

/** Runs the chain and concatenates (Hugging Face's `Decoder::decode`). */
export function decodeTokens(decoder: Decoder, tokens: string[]): string {
  return decoder.decodeChain(tokens).join('');
}

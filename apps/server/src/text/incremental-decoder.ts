/**
 * Streaming detokenisation. A byte-level BPE token may hold part of a multi-byte UTF-8 character, which decodes to
 * U+FFFD until the rest arrives; so text is released only when the decoded tail does not end in U+FFFD, and then
 * as the difference between the decoding of a short window of recent tokens with and without the new ones (a
 * window rather than the whole sequence keeps each step O(1); as vLLM's detokenizer does).
 */
import type { Tokenizer } from '@falcon-h1/tokenizer';

const REPLACEMENT = '\uFFFD';

export class IncrementalDecoder {
  private readonly ids: number[] = [];
  /** Start of the window the next text is decoded in. */
  private prefixOffset = 0;
  /** Tokens whose text has been released. */
  private readOffset = 0;

  constructor(private readonly tokenizer: Tokenizer) {}

  /** Adds a token; returns the text it completes ('' while a character is incomplete). */
  push(id: number): string {
    this.ids.push(id);
    return this.release(false);
  }

  /** Whatever is still held back (an incomplete character at the very end decodes to U+FFFD). */
  flush(): string {
    return this.release(true);
  }

  private release(final: boolean): string {
    const decode = (ids: number[]) => this.tokenizer.decode(ids, { skipSpecialTokens: true });
    const prefix = decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = decode(this.ids.slice(this.prefixOffset));
    if (full.length <= prefix.length || (!final && full.endsWith(REPLACEMENT))) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return full.slice(prefix.length);
  }
}

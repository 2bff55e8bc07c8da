/**
 * The contract of the post-processors: add special tokens around the encoded sequence(s), fix type ids and offsets.
 * Like Hugging Face, `process` marks sequence ids, lets the processor rewrite the list of encodings, then merges
 * them into one.
 */
import { type Encoding, mergeEncodings } from '../encoding.js';

export interface PostProcessor {
  readonly type: string;
  /** Number of tokens the processor adds around one sequence or a pair (truncation leaves room for them). */
  addedTokens(isPair: boolean): number;
  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[];
}

export function postProcess(
  processor: PostProcessor | null,
  encoding: Encoding,
  pair: Encoding | null,
  addSpecialTokens: boolean,
  idToToken: (id: number) => string | undefined,
): Encoding {
  const encodings = pair === null ? [encoding] : [encoding, pair];
  if (processor === null) {
    if (encodings.length === 1) return encoding;
    for (let i = 0; i < encodings.length; i++) encodings[i].setSequenceId(i);
    return mergeEncodings(encodings, false, idToToken);
  }
  for (let i = 0; i < encodings.length; i++) encodings[i].setSequenceId(i);
  const processed = processor.processEncodings(encodings, addSpecialTokens);
  return processed.length === 1 ? processed[0] : mergeEncodings(processed, false, idToToken);
}

/** What `PackedLoader.report()` returns: per-source accounting for logs and for checking the mixture. */
import type { BadInput } from './bad-input.js';

export interface SourceReport {
  name: string;
  kind: string;
  files: number;
  /** Indexed documents (one epoch). */
  documents: number;
  /** Documents left out because they had no text / no tokens (not bad input; nothing to train on). */
  emptyDocuments: number;
  /** Documents started so far, over all epochs. */
  documentsServed: number;
  /** Tokens of the documents started so far (BOS/EOS included; the open document counts whole). */
  tokensServed: number;
  /** tokensServed / all sources' tokensServed. */
  tokenShare: number;
  /** The scheduled weight at the last step (0 once exhausted). */
  targetWeight: number;
  epochsCompleted: number;
  /** Epochs completed plus the fraction of the current one. */
  epochProgress: number;
  /** Left the mixture after maxEpochs. */
  exhausted: boolean;
  /** Bad inputs skipped, in the order met. */
  badInputs: BadInput[];
  /** The same, formatted `file:line (byte N): reason [source 'x']`. */
  badInputLines: string[];
}

export interface LoaderReport {
  batches: number;
  tokens: number;
  lastStep: number;
  sources: SourceReport[];
}

/** Truncation and padding parameters and the pair-aware truncation of Hugging Face's `truncate_encodings`. */
import type { Encoding, EncodingColumns } from './encoding.js';

export interface TruncationParams {
  maxLength: number;
  /** Tokens shared by consecutive overflowing windows. */
  stride: number;
  strategy: 'longest_first' | 'only_first' | 'only_second';
  direction: 'left' | 'right';
}

export interface PaddingParams {
  /** A fixed length, or 'batch_longest' to pad to the longest encoding of a batch. */
  length: number | 'batch_longest';
  direction: 'left' | 'right';
  padToMultipleOf: number | null;
  padId: number;
  padTypeId: number;
  padToken: string;
}

export function truncateEncodings(encoding: Encoding, pair: Encoding | null, params: TruncationParams): void {
  const { maxLength, stride, direction } = params;
  if (maxLength === 0) {
    encoding.truncate(0, stride, direction);
    pair?.truncate(0, stride, direction);
    return;
  }
  const total = encoding.length + (pair?.length ?? 0);
  if (total <= maxLength) return;
  const toRemove = total - maxLength;
  if (params.strategy === 'longest_first') {
    if (pair === null) {
      encoding.truncate(total - toRemove, stride, direction);
      return;
    }
    let n1 = encoding.length;
    let n2 = pair.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > maxLength ? n1 : Math.max(n1, maxLength - n1);
    if (n1 + n2 > maxLength) {
      n1 = Math.floor(maxLength / 2);
      n2 = n1 + (maxLength % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    encoding.truncate(n1, stride, direction);
    pair.truncate(n2, stride, direction);
    return;
  }
  const target = params.strategy === 'only_first' ? encoding : pair;
  if (target === null) throw new Error('truncation: only_second needs a pair of sequences');
  if (target.length <= toRemove) throw new Error('truncation: the sequence to truncate is too short');
  target.truncate(target.length - toRemove, stride, direction);
}

export function padEncodings(encodings: Encoding[], params: PaddingParams): void {
  if (encodings.length === 0) return;
  let length = params.length === 'batch_longest' ? Math.max(...encodings.map((e) => e.length)) : params.length;
  const multiple = params.padToMultipleOf;
  if (multiple !== null && multiple > 0 && length % multiple > 0) length += multiple - (length % multiple);
  for (const e of encodings) e.pad(length, params.padId, params.padTypeId, params.padToken, params.direction);
}

/**
 * Keeps only the words a truncated encoding can use, as Hugging Face's library does when truncation is on: words
 * are taken from the start ('right') or the end ('left') until they hold at least `budget` tokens, and word indices
 * then count from the first word kept. Truncation afterwards cuts inside that prefix (or suffix), so overflowing
 * windows never reach past it.
 */
export function keepWordsForBudget(columns: EncodingColumns, budget: number, direction: 'left' | 'right'): void {
  const { words } = columns;
  const n = words.length;
  if (n === 0) return;
  let from = 0;
  let to = n;
  if (direction === 'right') {
    let i = 0;
    while (i < n) {
      let j = i + 1;
      while (j < n && words[j] === words[i]) j++;
      i = j;
      if (i >= budget) break;
    }
    to = i;
  } else {
    let i = n;
    while (i > 0) {
      let j = i - 1;
      while (j > 0 && words[j - 1] === words[i - 1]) j--;
      i = j;
      if (n - i >= budget) break;
    }
    from = i;
  }
  if (from === 0 && to === n) {
    return;
  }
  const base = direction === 'left' ? words[from] : 0;
  for (const key of [
    'ids',
    'typeIds',
    'values',
    'words',
    'starts',
    'ends',
    'specialTokensMask',
    'attentionMask',
  ] as const) {
    const column = columns[key] as unknown[];
    const kept = column.slice(from, to);
    column.length = 0;
    for (const v of kept) column.push(v);
  }
  if (base > 0) for (let k = 0; k < columns.words.length; k++) columns.words[k] -= base;
}

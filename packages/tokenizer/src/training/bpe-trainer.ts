/**
 * The BPE training algorithm, step for step as Hugging Face's `BpeTrainer::do_train`, so that the same words give
 * the same vocabulary and merges:
 *
 * 1. special tokens take the first ids;
 * 2. the alphabet (characters of the words, plus an initial alphabet; optionally limited to the most frequent)
 *    follows, in code point order;
 * 3. every word becomes a list of symbol ids (with the continuing-subword prefix / end-of-word suffix variants);
 * 4. pair counts (weighted by word counts, overlapping pairs included) feed a queue ordered by count, then by the
 *    smaller pair of ids;
 * 5. the best pair is merged in every word it was seen in, neighbouring pair counts are updated, new pairs queued,
 *    until the vocabulary is full, no pair is left, or the best count is below min_frequency.
 *
 * Ties are therefore broken by token ids: earlier special tokens, then lower code points, then older merges win.
 */
import { MergeQueue } from './merge-queue.js';

export interface BpeTrainerOptions {
  vocabSize: number;
  minFrequency: number;
  specialTokens: readonly string[];
  /** Characters always in the alphabet (the 256 byte-level characters for byte-level BPE). */
  initialAlphabet: readonly string[];
  /** Keep at most this many alphabet characters (the most frequent). */
  limitAlphabet: number | null;
  continuingSubwordPrefix: string | null;
  endOfWordSuffix: string | null;
  /** Longest token, in characters of the alphabet. */
  maxTokenLength: number | null;
  onProgress?: (phase: 'count-pairs' | 'merge', done: number, total: number) => void;
}

export interface TrainedBpe {
  /** Tokens by id. */
  vocab: string[];
  /** Merges in rank order. */
  merges: Array<[string, string]>;
}

const PAIR_BASE = 0x200000; // ids stay below 2^21

export function trainBpeModel(wordCounts: Map<string, number>, options: BpeTrainerOptions): TrainedBpe {
  const id2w: string[] = [];
  const w2id = new Map<string, number>();
  const addToken = (token: string): number => {
    let id = w2id.get(token);
    if (id === undefined) {
      id = id2w.length;
      id2w.push(token);
      w2id.set(token, id);
    }
    return id;
  };

  // 1. Special tokens.
  for (const token of options.specialTokens) addToken(token);

  // 2. Alphabet.
  const alphabet = new Map<string, number>();
  for (const [word, count] of wordCounts) {
    for (const c of word) alphabet.set(c, (alphabet.get(c) ?? 0) + count);
  }
  for (const c of options.initialAlphabet) alphabet.set(c, Number.MAX_SAFE_INTEGER);
  let kept = [...alphabet.entries()];
  if (options.limitAlphabet !== null && alphabet.size > options.limitAlphabet) {
    kept.sort((x, y) => x[1] - y[1]);
    kept = kept.slice(alphabet.size - options.limitAlphabet);
  }
  kept.sort((x, y) => x[0].codePointAt(0)! - y[0].codePointAt(0)!);
  for (const [c] of kept) addToken(c);

  // 3. Words as symbol ids.
  const prefix = options.continuingSubwordPrefix;
  const suffix = options.endOfWordSuffix;
  const words: Int32Array[] = [];
  const lengths: Int32Array[] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    const chars = [...word];
    const symbols: number[] = [];
    chars.forEach((c, k) => {
      if (!w2id.has(c)) return; // outside the (limited) alphabet
      let s = c;
      if (k > 0 && prefix !== null) s = prefix + s;
      if (k === chars.length - 1 && suffix !== null) s = s + suffix;
      symbols.push(addToken(s));
    });
    words.push(Int32Array.from(symbols));
    lengths.push(new Int32Array(symbols.length).fill(1));
    counts.push(count);
  }

  // 4. Pair counts and where each pair occurs.
  const pairCounts = new Map<number, number>();
  const whereToUpdate = new Map<number, Set<number>>();
  for (let w = 0; w < words.length; w++) {
    const symbols = words[w];
    for (let k = 0; k + 1 < symbols.length; k++) {
      const key = symbols[k] * PAIR_BASE + symbols[k + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[w]);
      let where = whereToUpdate.get(key);
      if (where === undefined) {
        where = new Set();
        whereToUpdate.set(key, where);
      }
      where.add(w);
    }
    if (options.onProgress !== undefined && w % 10_000 === 0) options.onProgress('count-pairs', w, words.length);
  }
  const queue = new MergeQueue();
  const flush = () => {
    for (const [key, where] of whereToUpdate) {
      const count = pairCounts.get(key)!;
      if (count > 0) queue.push({ count, a: Math.floor(key / PAIR_BASE), b: key % PAIR_BASE, words: where });
    }
    whereToUpdate.clear();
  };
  flush();

  // 5. Merges.
  const maxLength = options.maxTokenLength ?? Number.MAX_SAFE_INTEGER;
  const merges: Array<[string, string]> = [];
  const mergeTarget = Math.max(0, options.vocabSize - w2id.size);
  while (w2id.size < options.vocabSize) {
    const top = queue.pop();
    if (top === undefined) break;
    const key = top.a * PAIR_BASE + top.b;
    const current = pairCounts.get(key)!;
    if (top.count !== current) {
      top.count = current;
      queue.push(top);
      continue;
    }
    if (top.count < 1 || options.minFrequency > top.count) break;
    const partA = id2w[top.a];
    let partB = id2w[top.b];
    if (prefix !== null && partB.startsWith(prefix)) partB = partB.slice(prefix.length);
    const newId = addToken(partA + partB);
    merges.push([partA, id2w[top.b]]);
    for (const w of top.words) {
      mergeInWord(words, lengths, w, top.a, top.b, newId, maxLength, (a, b, change) => {
        const pair = a * PAIR_BASE + b;
        pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + change * counts[w]);
        if (change > 0) {
          let where = whereToUpdate.get(pair);
          if (where === undefined) {
            where = new Set();
            whereToUpdate.set(pair, where);
          }
          where.add(w);
        }
      });
    }
    flush();
    if (options.onProgress !== undefined && merges.length % 100 === 0)
      options.onProgress('merge', merges.length, mergeTarget);
  }
  options.onProgress?.('merge', merges.length, merges.length);
  return { vocab: id2w, merges };
}

/** Merges every (a, b) in word w, left to right, reporting pair-count changes (Hugging Face's `Word::merge`). */
function mergeInWord(
  words: Int32Array[],
  lengths: Int32Array[],
  w: number,
  a: number,
  b: number,
  newId: number,
  maxLength: number,
  change: (x: number, y: number, delta: number) => void,
): void {
  const symbols = words[w];
  const lens = lengths[w];
  let n = symbols.length;
  let i = 0;
  let changed = false;
  while (i < n) {
    if (symbols[i] === a && i + 1 < n && symbols[i + 1] === b) {
      const newLength = lens[i] + lens[i + 1];
      if (i > 0) {
        change(symbols[i - 1], a, -1);
        if (lens[i - 1] + newLength < maxLength) change(symbols[i - 1], newId, 1);
      }
      symbols[i] = newId;
      lens[i] = newLength;
      symbols.copyWithin(i + 1, i + 2, n);
      lens.copyWithin(i + 1, i + 2, n);
      n--;
      changed = true;
      if (i < n - 1) {
        change(b, symbols[i + 1], -1);
        if (lens[i + 1] + newLength < maxLength) change(newId, symbols[i + 1], 1);
      }
    }
    i++;
  }
  if (changed) {
    words[w] = symbols.slice(0, n);
    lengths[w] = lens.slice(0, n);
  }
}

/**
 * `trainBpe`: trains a byte-level BPE tokenizer from a stream of texts and returns its tokenizer.json (which Hugging
 * Face's library loads) and the ready Tokenizer. Texts are counted as Hugging Face's trainer counts them (each text
 * normalized and pre-tokenized on its own; for files, each line with its line ending), then merged by
 * bpe-trainer.ts.
 */
import { byteLevelAlphabet } from '../byte-level/byte-chars.js';
import { TokenizerConfigError } from '../errors.js';
import { parseNormalizer, parsePreTokenizer } from '../from-json.js';
import { Tokenizer } from '../tokenizer.js';
import { trainBpeModel } from './bpe-trainer.js';
import { PRE_TOKENIZER_PRESETS, type PreTokenizerPreset } from './pre-tokenizer-presets.js';
import { WordCounter } from './word-counter.js';

export interface TrainBpeProgress {
  /** 'count-words' while reading texts, then 'count-pairs' and 'merge'. */
  phase: 'count-words' | 'count-pairs' | 'merge';
  done: number;
  /** Known total (0 while counting words). */
  total: number;
}

export interface TrainBpeOptions {
  /** Size of the vocabulary, special tokens and alphabet included. */
  vocabSize: number;
  /** A pair must occur at least this often to be merged (default 0, as Hugging Face). */
  minFrequency?: number;
  /** Special tokens, given the first ids in this order (Falcon-style `>>…<<` tokens at low ids). */
  specialTokens?: readonly string[];
  /** A preset name or a tokenizer.json pre_tokenizer object (default 'llama3'). */
  preTokenizer?: PreTokenizerPreset | object;
  /** A tokenizer.json normalizer object (default none). */
  normalizer?: object | null;
  /**
   * 'byte-level' (default) starts from all 256 byte characters, so any text can be encoded; 'seen' starts from the
   * characters of the corpus only (Hugging Face's trainer default, used to compare with it).
   */
  initialAlphabet?: 'byte-level' | 'seen';
  /** Keep at most this many alphabet characters. */
  limitAlphabet?: number;
  /** Longest token in byte-level characters. */
  maxTokenLength?: number;
  /** A special token to put before every sequence (a TemplateProcessing post-processor). */
  bosToken?: string;
  onProgress?: (progress: TrainBpeProgress) => void;
}

export interface TrainBpeResult {
  /** The tokenizer.json object. */
  json: Record<string, unknown>;
  tokenizer: Tokenizer;
  /** Merges in rank order. */
  merges: Array<[string, string]>;
  /** Tokens by id. */
  vocab: string[];
}

/** Trains from texts (an array, any iterable, or an async iterable such as a file's lines). */
export async function trainBpe(
  texts: Iterable<string> | AsyncIterable<string>,
  options: TrainBpeOptions,
): Promise<TrainBpeResult> {
  if (!Number.isInteger(options.vocabSize) || options.vocabSize <= 0) {
    throw new TokenizerConfigError(`trainBpe: vocabSize must be a positive integer, got ${options.vocabSize}`);
  }
  const preTokenizerJson =
    typeof options.preTokenizer === 'string' || options.preTokenizer === undefined
      ? PRE_TOKENIZER_PRESETS[options.preTokenizer ?? 'llama3']
      : options.preTokenizer;
  if (preTokenizerJson === undefined) {
    throw new TokenizerConfigError(`trainBpe: unknown pre-tokenizer preset '${String(options.preTokenizer)}'`);
  }
  const normalizerJson = options.normalizer ?? null;
  const counter = new WordCounter(parseNormalizer(normalizerJson), parsePreTokenizer(preTokenizerJson));
  let seen = 0;
  for await (const text of texts) {
    counter.add(text);
    if (++seen % 10_000 === 0) options.onProgress?.({ phase: 'count-words', done: seen, total: 0 });
  }
  const specialTokens = options.specialTokens ?? [];
  const { vocab, merges } = trainBpeModel(counter.words(), {
    vocabSize: options.vocabSize,
    minFrequency: options.minFrequency ?? 0,
    specialTokens,
    initialAlphabet: (options.initialAlphabet ?? 'byte-level') === 'byte-level' ? byteLevelAlphabet() : [],
    limitAlphabet: options.limitAlphabet ?? null,
    continuingSubwordPrefix: null,
    endOfWordSuffix: null,
    maxTokenLength: options.maxTokenLength ?? null,
    onProgress: (phase, done, total) => options.onProgress?.({ phase, done, total }),
  });
  const json = tokenizerJson(vocab, merges, specialTokens, preTokenizerJson, normalizerJson, options.bosToken);
  return { json, tokenizer: Tokenizer.fromJSON(json), merges, vocab };
}

/** The tokenizer.json of a trained byte-level BPE, laid out as Hugging Face writes it. */
function tokenizerJson(
  vocab: string[],
  merges: Array<[string, string]>,
  specialTokens: readonly string[],
  preTokenizer: object,
  normalizer: object | null,
  bosToken: string | undefined,
): Record<string, unknown> {
  const vocabObject: Record<string, number> = {};
  vocab.forEach((token, id) => {
    vocabObject[token] = id;
  });
  const ids = new Map(vocab.map((t, i) => [t, i]));
  if (bosToken !== undefined && !specialTokens.includes(bosToken)) {
    throw new TokenizerConfigError(`trainBpe: bosToken '${bosToken}' must be one of the special tokens`);
  }
  const postProcessor =
    bosToken === undefined
      ? { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }
      : {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bosToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bosToken, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: bosToken, type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { [bosToken]: { id: bosToken, ids: [ids.get(bosToken)], tokens: [bosToken] } },
        };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((content) => ({
      id: ids.get(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer,
    pre_tokenizer: preTokenizer,
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: vocabObject,
      merges,
    },
  };
}

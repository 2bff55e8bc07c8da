/**
 * A tokenizer: normalizer → pre-tokenizer → model → post-processor, with added tokens, truncation and padding,
 * encoding and decoding exactly as Hugging Face's `tokenizers` does for the same tokenizer.json. Build one with
 * `Tokenizer.fromJSON` (or `loadTokenizer` from `@falcon-h1/tokenizer/node` for a file or directory).
 */
import { type AddedToken, AddedVocabulary } from './added-vocabulary.js';
import { type Decoder, decodeTokens } from './decoders/decoder.js';
import { Encoding, type EncodingColumns } from './encoding.js';
import { FastPath } from './fast-path.js';
import { parseTokenizerJson } from './from-json.js';
import type { Model } from './models/model.js';
import type { Normalizer } from './normalizers/normalizer.js';
import { type PostProcessor, postProcess } from './post-processors/post-processor.js';
import type { PreTokenizer } from './pre-tokenizers/pre-tokenizer.js';
import { toWellFormed } from './text/code-points.js';
import {
  keepWordsForBudget,
  type PaddingParams,
  padEncodings,
  type TruncationParams,
  truncateEncodings,
} from './truncation-padding.js';

export interface TokenizerParts {
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  model: Model;
  postProcessor: PostProcessor | null;
  decoder: Decoder | null;
  addedTokens: readonly AddedToken[];
  truncation: TruncationParams | null;
  padding: PaddingParams | null;
}

export interface EncodeOptions {
  /** A second sequence, encoded as the pair of the first. */
  pair?: string;
  /** Add the post-processor's special tokens (default true, as Hugging Face). */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out special added tokens (default false). */
  skipSpecialTokens?: boolean;
}

export type EncodeInput = string | readonly [string, string];

export class Tokenizer {
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly model: Model;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  truncation: TruncationParams | null;
  padding: PaddingParams | null;
  private readonly added: AddedVocabulary;
  private readonly fast: FastPath | undefined;
  private readonly modelIdToToken: (id: number) => string | undefined;

  constructor(parts: TokenizerParts) {
    this.normalizer = parts.normalizer;
    this.preTokenizer = parts.preTokenizer;
    this.model = parts.model;
    this.postProcessor = parts.postProcessor;
    this.decoder = parts.decoder;
    this.truncation = parts.truncation;
    this.padding = parts.padding;
    this.added = new AddedVocabulary(parts.model, parts.normalizer);
    this.added.add(parts.addedTokens);
    this.fast = FastPath.create(parts.normalizer, parts.preTokenizer, parts.model, this.added);
    this.modelIdToToken = (id) => this.model.idToToken(id);
  }

  /** Builds a tokenizer from tokenizer.json text or its parsed object. */
  static fromJSON(json: string | object): Tokenizer {
    return new Tokenizer(parseTokenizerJson(json));
  }

  /** Encodes one input (or a pair): ids, tokens, UTF-16 offsets, masks. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const encoding = this.encodeSequence(text, 0);
    const pair = options.pair === undefined ? null : this.encodeSequence(options.pair, 1);
    return this.finish(encoding, pair, addSpecialTokens, true);
  }

  /** Encodes many inputs; padding 'batch_longest' pads them to the longest. */
  encodeBatch(inputs: readonly EncodeInput[], options: Omit<EncodeOptions, 'pair'> = {}): Encoding[] {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const out = inputs.map((input) => {
      const [a, b] = typeof input === 'string' ? [input, undefined] : input;
      const encoding = this.encodeSequence(a, 0);
      const pair = b === undefined ? null : this.encodeSequence(b, 1);
      return this.finish(encoding, pair, addSpecialTokens, false);
    });
    if (this.padding !== null) padEncodings(out, this.padding);
    return out;
  }

  /** Just the ids of one input, special tokens added unless told otherwise (no truncation or padding). */
  encodeIds(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const encoding = this.encodeSequence(text, 0, false);
    if (this.postProcessor === null) return encoding.ids;
    return postProcess(this.postProcessor, encoding, null, options.addSpecialTokens ?? true, this.modelIdToToken).ids;
  }

  /** Tokens a sequence may keep once the post-processor's special tokens are added, or undefined without truncation. */
  private truncationBudget(addSpecialTokens: boolean, isPair: boolean): number | undefined {
    if (this.truncation === null) return undefined;
    const added = addSpecialTokens && this.postProcessor !== null ? this.postProcessor.addedTokens(isPair) : 0;
    return this.truncation.maxLength - added;
  }

  private finish(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean, pad: boolean): Encoding {
    const budget = this.truncationBudget(addSpecialTokens, pair !== null);
    if (this.truncation !== null && budget !== undefined) {
      truncateEncodings(encoding, pair, { ...this.truncation, maxLength: budget });
    }
    const result = postProcess(this.postProcessor, encoding, pair, addSpecialTokens, this.modelIdToToken);
    if (pad && this.padding !== null) padEncodings([result], this.padding);
    return result;
  }

  /** Encodes one sequence before post-processing (Hugging Face's `encode_single_sequence`). */
  private encodeSequence(input: string, typeId: number, truncating = true): Encoding {
    const text = toWellFormed(input);
    const columns = this.fast?.encode(text, typeId) ?? this.encodeGeneral(text, typeId);
    // With truncation on, Hugging Face only encodes the words the first max_length tokens need.
    if (truncating && this.truncation !== null) {
      keepWordsForBudget(columns, this.truncation.maxLength, this.truncation.direction);
    }
    return new Encoding(columns, this.modelIdToToken);
  }

  /** The general path: NormalizedString pieces with full alignment tracking. */
  private encodeGeneral(text: string, typeId: number): EncodingColumns {
    const pts = this.added.extractAndNormalize(text);
    this.preTokenizer?.preTokenize(pts);
    const out: EncodingColumns = {
      ids: [],
      typeIds: [],
      values: [],
      words: [],
      starts: [],
      ends: [],
      specialTokensMask: [],
      attentionMask: [],
    };
    const splits = pts.splits;
    for (let w = 0; w < splits.length; w++) {
      const { ns } = splits[w];
      let tokens = splits[w].tokens;
      if (tokens === null) {
        tokens = { ids: [], starts: [], ends: [], values: [] };
        this.model.tokenize(ns.normalized, {
          push(id, start, end, value) {
            tokens!.ids.push(id);
            tokens!.starts.push(start);
            tokens!.ends.push(end);
            tokens!.values.push(value);
          },
        });
      }
      for (let k = 0; k < tokens.ids.length; k++) {
        const range = ns.convertToOriginal(tokens.starts[k], tokens.ends[k]);
        out.ids.push(tokens.ids[k]);
        out.typeIds.push(typeId);
        out.values.push(tokens.values[k]);
        out.words.push(w);
        if (range === null) {
          out.starts.push(tokens.starts[k]);
          out.ends.push(tokens.ends[k]);
        } else {
          out.starts.push(ns.originalShift + range[0]);
          out.ends.push(ns.originalShift + range[1]);
        }
        out.specialTokensMask.push(0);
        out.attentionMask.push(1);
      }
    }
    return out;
  }

  /** Decodes ids to text through the decoder (tokens joined with spaces without one). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const token = this.idToToken(ids[i]);
      if (token === undefined) continue;
      if (skip && this.added.isSpecial(token)) continue;
      tokens.push(token);
    }
    return this.decoder === null ? tokens.join(' ') : decodeTokens(this.decoder, tokens);
  }

  decodeBatch(batch: ReadonlyArray<ArrayLike<number>>, options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  /** Id of a token (added tokens first, then the model's vocabulary). */
  tokenToId(token: string): number | undefined {
    return this.added.tokenToId(token);
  }

  /** Text of a token id (added tokens first, then the model's vocabulary). */
  idToToken(id: number): string | undefined {
    return this.added.idToAdded.get(id)?.content ?? this.model.idToToken(id);
  }

  /** The vocabulary, with the added tokens unless told otherwise. */
  getVocab(withAddedTokens = true): Map<string, number> {
    const vocab = this.model.vocab();
    if (withAddedTokens) for (const [content, id] of this.added.contentToId) vocab.set(content, id);
    return vocab;
  }

  getVocabSize(withAddedTokens = true): number {
    return withAddedTokens ? this.getVocab(true).size : this.model.vocabSize();
  }

  /** The added tokens by id. */
  getAddedTokens(): Map<number, AddedToken> {
    return new Map(this.added.idToAdded);
  }

  /** Adds tokens after loading; returns how many were new. */
  addTokens(tokens: readonly (string | AddedToken)[]): number {
    return this.added.add(tokens.map((t) => (typeof t === 'string' ? plainToken(t, false) : t)));
  }

  /** Adds special tokens after loading (skipped by decode with skipSpecialTokens). */
  addSpecialTokens(tokens: readonly string[]): number {
    return this.added.add(tokens.map((t) => plainToken(t, true)));
  }
}

function plainToken(content: string, special: boolean): AddedToken {
  return { content, special, normalized: !special, singleWord: false, lstrip: false, rstrip: false };
}

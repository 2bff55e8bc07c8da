/**
 * Reads a Hugging Face tokenizer.json into the parts of a Tokenizer. Every component type of the format is mapped to
 * its implementation here; a malformed section or an unknown `type` fails with an error naming it.
 */
import type { AddedToken } from './added-vocabulary.js';
import { ByteFallbackDecoder } from './decoders/byte-fallback.js';
import { ByteLevelDecoder } from './decoders/byte-level.js';
import type { Decoder } from './decoders/decoder.js';
import {
  BpeDecoder,
  CtcDecoder,
  FuseDecoder,
  MetaspaceDecoder,
  ReplaceDecoder,
  SequenceDecoder,
  StripDecoder,
  WordPieceDecoder,
} from './decoders/simple.js';
import { TokenizerConfigError, UnsupportedComponentError } from './errors.js';
import { BpeModel } from './models/bpe.js';
import type { Model } from './models/model.js';
import { UnigramModel } from './models/unigram.js';
import { WordLevelModel } from './models/word-level.js';
import { WordPieceModel } from './models/word-piece.js';
import { BertNormalizer } from './normalizers/bert.js';
import { ByteLevelNormalizer } from './normalizers/byte-level.js';
import { LowercaseNormalizer } from './normalizers/case.js';
import { NmtNormalizer } from './normalizers/nmt.js';
import type { Normalizer } from './normalizers/normalizer.js';
import { PrecompiledNormalizer } from './normalizers/precompiled.js';
import { PrependNormalizer, ReplaceNormalizer } from './normalizers/replace.js';
import { SequenceNormalizer } from './normalizers/sequence.js';
import { StripAccentsNormalizer, StripNormalizer } from './normalizers/strip.js';
import { UnicodeFormNormalizer } from './normalizers/unicode-forms.js';
import { ByteLevelPostProcessor } from './post-processors/byte-level.js';
import type { PostProcessor } from './post-processors/post-processor.js';
import { BertPostProcessor, RobertaPostProcessor, SequencePostProcessor } from './post-processors/roberta-bert.js';
import { type TemplatePiece, TemplatePostProcessor, type TemplateSpecialToken } from './post-processors/template.js';
import { BertPreTokenizer } from './pre-tokenizers/bert.js';
import { ByteLevelPreTokenizer } from './pre-tokenizers/byte-level.js';
import {
  CharDelimiterSplitPreTokenizer,
  DigitsPreTokenizer,
  PunctuationPreTokenizer,
  WhitespaceSplitPreTokenizer,
} from './pre-tokenizers/char-class-splits.js';
import { FixedLengthPreTokenizer } from './pre-tokenizers/fixed-length.js';
import { MetaspacePreTokenizer, type PrependScheme } from './pre-tokenizers/metaspace.js';
import type { PreTokenizer } from './pre-tokenizers/pre-tokenizer.js';
import { sequenceOf } from './pre-tokenizers/sequence.js';
import { type SplitPatternSpec, SplitPreTokenizer } from './pre-tokenizers/split.js';
import { WhitespacePreTokenizer } from './pre-tokenizers/whitespace.js';
import type { SplitBehavior } from './text/normalized-string.js';
import type { TokenizerParts } from './tokenizer.js';
import type { PaddingParams, TruncationParams } from './truncation-padding.js';

type Json = Record<string, unknown>;

/** Field readers that name the section and field when the value has the wrong shape. */
class Fields {
  constructor(
    private readonly where: string,
    private readonly json: Json,
  ) {}

  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  fail(key: string, expected: string): never {
    throw new TokenizerConfigError(
      `${this.where}: field '${key}' must be ${expected}, got ${JSON.stringify(this.json[key])}`,
    );
  }

  /** A required field of one JSON type (with an optional fallback when it is absent or null). */
  private typed<T>(key: string, fallback: T | undefined, expected: string, isValid: (v: unknown) => v is T): T {
    const v = this.json[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(key, expected);
      return fallback;
    }
    if (!isValid(v)) this.fail(key, expected);
    return v;
  }

  bool(key: string, fallback?: boolean): boolean {
    return this.typed(key, fallback, 'a boolean', (v): v is boolean => typeof v === 'boolean');
  }

  number(key: string, fallback?: number): number {
    return this.typed(key, fallback, 'a number', (v): v is number => typeof v === 'number' && Number.isFinite(v));
  }

  string(key: string, fallback?: string): string {
    return this.typed(key, fallback, 'a string', (v): v is string => typeof v === 'string');
  }

  optionalString(key: string): string | null {
    const v = this.json[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(key, 'a string or null');
    return v;
  }

  char(key: string, fallback?: string): string {
    const v = this.string(key, fallback);
    if ([...v].length !== 1) this.fail(key, 'a single character');
    return v;
  }

  array(key: string): unknown[] {
    const v = this.json[key];
    if (!Array.isArray(v)) this.fail(key, 'an array');
    return v;
  }

  object(key: string): Json {
    const v = this.json[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(key, 'an object');
    return v as Json;
  }

  pattern(key: string): SplitPatternSpec {
    const v = this.json[key] as Json | undefined;
    if (typeof v === 'object' && v !== null) {
      if (typeof v.String === 'string') return { String: v.String };
      if (typeof v.Regex === 'string') return { Regex: v.Regex };
    }
    this.fail(key, '{"String": ...} or {"Regex": ...}');
  }

  behavior(key: string, fallback?: SplitBehavior): SplitBehavior {
    const v = this.string(key, fallback);
    const names: SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];
    const found = names.find((n) => n.toLowerCase() === v.toLowerCase());
    if (found === undefined) this.fail(key, `one of ${names.join(', ')}`);
    return found;
  }
}

function asObject(where: string, value: unknown): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerConfigError(`${where} must be an object, got ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  return value as Json;
}

function typeOf(section: string, json: Json): string {
  if (typeof json.type !== 'string') throw new TokenizerConfigError(`${section}: missing 'type'`);
  return json.type;
}

export function parseNormalizer(value: unknown, where = 'normalizer'): Normalizer | null {
  if (value === null || value === undefined) return null;
  const json = asObject(where, value);
  const type = typeOf(where, json);
  const f = new Fields(`${where} ${type}`, json);
  switch (type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return new UnicodeFormNormalizer(type);
    case 'Lowercase':
      return new LowercaseNormalizer();
    case 'Strip':
      return new StripNormalizer(f.bool('strip_left', true), f.bool('strip_right', true));
    case 'StripAccents':
      return new StripAccentsNormalizer();
    case 'Replace':
      return new ReplaceNormalizer(f.pattern('pattern'), f.string('content'));
    case 'Prepend':
      return new PrependNormalizer(f.string('prepend'));
    case 'BertNormalizer': {
      const lowercase = f.bool('lowercase', true);
      const strip =
        json.strip_accents === null || json.strip_accents === undefined ? lowercase : f.bool('strip_accents');
      return new BertNormalizer(f.bool('clean_text', true), f.bool('handle_chinese_chars', true), strip, lowercase);
    }
    case 'Nmt':
      return new NmtNormalizer();
    case 'ByteLevel':
      return new ByteLevelNormalizer();
    case 'Precompiled':
      return new PrecompiledNormalizer(f.string('precompiled_charsmap'));
    case 'Sequence':
      return new SequenceNormalizer(
        f.array('normalizers').map((n, i) => parseNormalizer(n, `${where}.normalizers[${i}]`) as Normalizer),
      );
    default:
      throw new UnsupportedComponentError('normalizer', type);
  }
}

export function parsePreTokenizer(value: unknown, where = 'pre_tokenizer'): PreTokenizer | null {
  if (value === null || value === undefined) return null;
  const json = asObject(where, value);
  const type = typeOf(where, json);
  const f = new Fields(`${where} ${type}`, json);
  switch (type) {
    case 'ByteLevel':
      return new ByteLevelPreTokenizer(
        f.bool('add_prefix_space', true),
        f.bool('trim_offsets', true),
        f.bool('use_regex', true),
      );
    case 'Split':
      return new SplitPreTokenizer(f.pattern('pattern'), f.behavior('behavior'), f.bool('invert', false));
    case 'Digits':
      return new DigitsPreTokenizer(f.bool('individual_digits', false));
    case 'Punctuation':
      return new PunctuationPreTokenizer(f.behavior('behavior', 'Isolated'));
    case 'Whitespace':
      return new WhitespacePreTokenizer();
    case 'WhitespaceSplit':
      return new WhitespaceSplitPreTokenizer();
    case 'BertPreTokenizer':
      return new BertPreTokenizer();
    case 'CharDelimiterSplit':
      return new CharDelimiterSplitPreTokenizer(f.char('delimiter'));
    case 'FixedLength':
      return new FixedLengthPreTokenizer(f.number('length', 5));
    case 'Metaspace': {
      const [replacement, scheme] = metaspaceSettings(f, json);
      return new MetaspacePreTokenizer(replacement, scheme, f.bool('split', true));
    }
    case 'Sequence':
      return sequenceOf(
        f.array('pretokenizers').map((p, i) => parsePreTokenizer(p, `${where}.pretokenizers[${i}]`) as PreTokenizer),
      );
    default:
      throw new UnsupportedComponentError('pre_tokenizer', type);
  }
}

function metaspaceSettings(f: Fields, json: Json): [string, PrependScheme] {
  const replacement = f.char('replacement', '▁');
  let scheme = json.prepend_scheme === undefined || json.prepend_scheme === null ? null : f.string('prepend_scheme');
  if (scheme !== null && !['always', 'first', 'never'].includes(scheme))
    f.fail('prepend_scheme', "'always', 'first' or 'never'");
  if (json.add_prefix_space === false) {
    if (scheme !== null && scheme !== 'never') {
      throw new TokenizerConfigError('Metaspace: add_prefix_space false contradicts prepend_scheme');
    }
    scheme = 'never';
  }
  return [replacement, (scheme ?? 'always') as PrependScheme];
}

export function parseDecoder(value: unknown, where = 'decoder'): Decoder | null {
  if (value === null || value === undefined) return null;
  const json = asObject(where, value);
  const type = typeOf(where, json);
  const f = new Fields(`${where} ${type}`, json);
  switch (type) {
    case 'ByteLevel':
      return new ByteLevelDecoder();
    case 'ByteFallback':
      return new ByteFallbackDecoder();
    case 'Fuse':
      return new FuseDecoder();
    case 'Strip':
      return new StripDecoder(f.char('content'), f.number('start'), f.number('stop'));
    case 'Replace':
      return new ReplaceDecoder(f.pattern('pattern'), f.string('content'));
    case 'Metaspace': {
      const [replacement, scheme] = metaspaceSettings(f, json);
      return new MetaspaceDecoder(replacement, scheme);
    }
    case 'WordPiece':
      return new WordPieceDecoder(f.string('prefix', '##'), f.bool('cleanup', true));
    case 'BPEDecoder':
      return new BpeDecoder(f.string('suffix', '</w>'));
    case 'CTC':
      return new CtcDecoder(
        f.string('pad_token', '<pad>'),
        f.string('word_delimiter_token', '|'),
        f.bool('cleanup', true),
      );
    case 'Sequence':
      return new SequenceDecoder(
        f.array('decoders').map((d, i) => parseDecoder(d, `${where}.decoders[${i}]`) as Decoder),
      );
    default:
      throw new UnsupportedComponentError('decoder', type);
  }
}

function vocabMap(where: string, value: unknown): Map<string, number> {
  const json = asObject(`${where}: field 'vocab'`, value);
  const map = new Map<string, number>();
  for (const key in json) {
    const id = json[key];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new TokenizerConfigError(`${where}: vocab entry ${JSON.stringify(key)} has id ${JSON.stringify(id)}`);
    }
    map.set(key, id);
  }
  return map;
}

function parseMerges(where: string, value: unknown): Array<[string, string]> {
  if (!Array.isArray(value)) throw new TokenizerConfigError(`${where}: field 'merges' must be an array`);
  // Pairs already in [a, b] form are used as they are: a 500K-merge file should not be copied.
  if (value.every((m) => Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')) {
    return value as Array<[string, string]>;
  }
  return value.map((m, rank) => {
    if (typeof m === 'string') {
      const space = m.indexOf(' ');
      if (space < 0 || m.indexOf(' ', space + 1) >= 0) {
        throw new TokenizerConfigError(
          `${where}: merge ${rank} ${JSON.stringify(m)} is not two tokens separated by a space`,
        );
      }
      return [m.slice(0, space), m.slice(space + 1)];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    throw new TokenizerConfigError(`${where}: merge ${rank} ${JSON.stringify(m)} is not a pair of tokens`);
  });
}

/**
 * Builds the model. `owned` means the JSON object is ours (parsed from text here): its vocabulary is then dropped as
 * soon as it has been read, so that a 260K-token file's object and our tables are not both alive at the peak.
 */
export function parseModel(value: unknown, owned = false): Model {
  const json = asObject('model', value);
  let type = typeof json.type === 'string' ? json.type : undefined;
  if (type === undefined) {
    // Old files leave the type out; Hugging Face then tries each model shape in turn.
    if (json.merges !== undefined) type = 'BPE';
    else if (Array.isArray(json.vocab)) type = 'Unigram';
    else if (json.continuing_subword_prefix !== undefined || json.max_input_chars_per_word !== undefined)
      type = 'WordPiece';
    else type = 'WordLevel';
  }
  const where = `model ${type}`;
  const f = new Fields(where, json);
  switch (type) {
    case 'BPE': {
      const vocab = vocabMap(where, json.vocab);
      const merges = parseMerges(where, json.merges);
      if (owned) json.vocab = null;
      return new BpeModel(vocab, merges, {
        unkToken: f.optionalString('unk_token'),
        continuingSubwordPrefix: f.optionalString('continuing_subword_prefix'),
        endOfWordSuffix: f.optionalString('end_of_word_suffix'),
        fuseUnk: f.bool('fuse_unk', false),
        byteFallback: f.bool('byte_fallback', false),
        ignoreMerges: f.bool('ignore_merges', false),
        dropout: json.dropout === null || json.dropout === undefined ? null : f.number('dropout'),
      });
    }
    case 'WordPiece':
      return new WordPieceModel(
        vocabMap(where, json.vocab),
        f.string('unk_token', '[UNK]'),
        f.string('continuing_subword_prefix', '##'),
        f.number('max_input_chars_per_word', 100),
      );
    case 'WordLevel':
      return new WordLevelModel(vocabMap(where, json.vocab), f.string('unk_token', '<unk>'));
    case 'Unigram': {
      const pieces = f.array('vocab').map((entry, i) => {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
          throw new TokenizerConfigError(`${where}: vocab entry ${i} must be [piece, score]`);
        }
        return [entry[0], entry[1]] as const;
      });
      const unkId = json.unk_id === null || json.unk_id === undefined ? null : f.number('unk_id');
      return new UnigramModel(pieces, unkId, f.bool('byte_fallback', false));
    }
    default:
      throw new UnsupportedComponentError('model', type);
  }
}

function specialPair(f: Fields, key: string): [string, number] {
  const v = f.array(key);
  if (v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'number') f.fail(key, 'a [token, id] pair');
  return [v[0], v[1]];
}

function parseTemplate(where: string, value: unknown): TemplatePiece[] {
  if (typeof value === 'string') {
    return value
      .split(' ')
      .filter((p) => p !== '')
      .map((p) => templatePieceFromString(where, p));
  }
  if (!Array.isArray(value)) throw new TokenizerConfigError(`${where} must be a template string or a list of pieces`);
  return value.map((piece, i) => {
    const json = asObject(`${where}[${i}]`, piece);
    if (json.Sequence !== undefined) {
      const s = asObject(`${where}[${i}].Sequence`, json.Sequence);
      if (s.id !== 'A' && s.id !== 'B')
        throw new TokenizerConfigError(`${where}[${i}]: sequence id must be 'A' or 'B'`);
      return { kind: 'sequence', sequence: s.id === 'A' ? 0 : 1, typeId: Number(s.type_id ?? 0) };
    }
    if (json.SpecialToken !== undefined) {
      const s = asObject(`${where}[${i}].SpecialToken`, json.SpecialToken);
      if (typeof s.id !== 'string') throw new TokenizerConfigError(`${where}[${i}]: special token id must be a string`);
      return { kind: 'special', id: s.id, typeId: Number(s.type_id ?? 0) };
    }
    throw new TokenizerConfigError(`${where}[${i}]: expected {"Sequence": ...} or {"SpecialToken": ...}`);
  });
}

function templatePieceFromString(where: string, piece: string): TemplatePiece {
  const m = /^\$(A|B|\d*)?(?::(\d+))?$/.exec(piece);
  if (piece.startsWith('$')) {
    if (m === null) throw new TokenizerConfigError(`${where}: cannot read the template piece '${piece}'`);
    const id = m[1] ?? '';
    if (/^\d+$/.test(id)) return { kind: 'sequence', sequence: 0, typeId: Number(id) };
    return { kind: 'sequence', sequence: id === 'B' ? 1 : 0, typeId: Number(m[2] ?? 0) };
  }
  const colon = piece.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(piece.slice(colon + 1))) {
    return { kind: 'special', id: piece.slice(0, colon), typeId: Number(piece.slice(colon + 1)) };
  }
  return { kind: 'special', id: piece, typeId: 0 };
}

export function parsePostProcessor(
  value: unknown,
  idToToken: (id: number) => string | undefined,
  where = 'post_processor',
): PostProcessor | null {
  if (value === null || value === undefined) return null;
  const json = asObject(where, value);
  const type = typeOf(where, json);
  const f = new Fields(`${where} ${type}`, json);
  switch (type) {
    case 'ByteLevel':
      return new ByteLevelPostProcessor(f.bool('add_prefix_space', true), f.bool('trim_offsets', true));
    case 'RobertaProcessing':
      return new RobertaPostProcessor(
        specialPair(f, 'sep'),
        specialPair(f, 'cls'),
        f.bool('trim_offsets', true),
        f.bool('add_prefix_space', true),
        idToToken,
      );
    case 'BertProcessing':
      return new BertPostProcessor(specialPair(f, 'sep'), specialPair(f, 'cls'), idToToken);
    case 'TemplateProcessing': {
      const specials = new Map<string, TemplateSpecialToken>();
      const raw = json.special_tokens ?? {};
      for (const [key, v] of Object.entries(asObject(`${where}.special_tokens`, raw))) {
        const s = asObject(`${where}.special_tokens.${key}`, v);
        const ids = s.ids;
        const tokens = s.tokens;
        if (!Array.isArray(ids) || !Array.isArray(tokens) || ids.length !== tokens.length) {
          throw new TokenizerConfigError(
            `${where}: special token '${key}' needs 'ids' and 'tokens' of the same length`,
          );
        }
        specials.set(String(s.id ?? key), {
          id: String(s.id ?? key),
          ids: ids.map(Number),
          tokens: tokens.map(String),
        });
      }
      const single = parseTemplate(`${where}.single`, json.single ?? '$0');
      const pair = parseTemplate(`${where}.pair`, json.pair ?? '$A:0 $B:1');
      for (const piece of [...single, ...pair]) {
        if (piece.kind === 'special' && !specials.has(piece.id)) {
          throw new TokenizerConfigError(`${where}: the template uses '${piece.id}', missing from special_tokens`);
        }
      }
      return new TemplatePostProcessor(single, pair, specials, idToToken);
    }
    case 'Sequence':
      return new SequencePostProcessor(
        f
          .array('processors')
          .map((p, i) => parsePostProcessor(p, idToToken, `${where}.processors[${i}]`) as PostProcessor),
      );
    default:
      throw new UnsupportedComponentError('post_processor', type);
  }
}

function parseAddedTokens(value: unknown): AddedToken[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new TokenizerConfigError("'added_tokens' must be an array");
  return value.map((t, i) => {
    const json = asObject(`added_tokens[${i}]`, t);
    const f = new Fields(`added_tokens[${i}]`, json);
    const special = f.bool('special', false);
    return {
      content: f.string('content'),
      singleWord: f.bool('single_word', false),
      lstrip: f.bool('lstrip', false),
      rstrip: f.bool('rstrip', false),
      normalized: f.bool('normalized', !special),
      special,
    };
  });
}

function parseTruncation(value: unknown): TruncationParams | null {
  if (value === null || value === undefined) return null;
  const f = new Fields('truncation', asObject('truncation', value));
  const strategy = f.string('strategy', 'LongestFirst');
  const strategies: Record<string, TruncationParams['strategy']> = {
    LongestFirst: 'longest_first',
    OnlyFirst: 'only_first',
    OnlySecond: 'only_second',
  };
  if (strategies[strategy] === undefined) f.fail('strategy', 'LongestFirst, OnlyFirst or OnlySecond');
  return {
    maxLength: f.number('max_length'),
    stride: f.number('stride', 0),
    strategy: strategies[strategy],
    direction: f.string('direction', 'Right') === 'Left' ? 'left' : 'right',
  };
}

function parsePadding(value: unknown): PaddingParams | null {
  if (value === null || value === undefined) return null;
  const json = asObject('padding', value);
  const f = new Fields('padding', json);
  let length: PaddingParams['length'] = 'batch_longest';
  const strategy = json.strategy;
  if (typeof strategy === 'object' && strategy !== null && 'Fixed' in strategy)
    length = Number((strategy as Json).Fixed);
  else if (strategy !== 'BatchLongest' && strategy !== undefined) f.fail('strategy', '"BatchLongest" or {"Fixed": n}');
  return {
    length,
    direction: f.string('direction', 'Right') === 'Left' ? 'left' : 'right',
    padToMultipleOf:
      json.pad_to_multiple_of === null || json.pad_to_multiple_of === undefined ? null : f.number('pad_to_multiple_of'),
    padId: f.number('pad_id', 0),
    padTypeId: f.number('pad_type_id', 0),
    padToken: f.string('pad_token', '[PAD]'),
  };
}

/** Parses tokenizer.json text (or its parsed object) into the parts of a Tokenizer. */
export function parseTokenizerJson(input: string | object): TokenizerParts {
  let json: Json;
  const owned = typeof input === 'string';
  if (typeof input === 'string') {
    try {
      json = asObject('tokenizer.json', JSON.parse(input));
    } catch (error) {
      if (error instanceof TokenizerConfigError) throw error;
      throw new TokenizerConfigError(`tokenizer.json is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    json = asObject('tokenizer.json', input);
  }
  if (json.model === undefined) throw new TokenizerConfigError("tokenizer.json: missing 'model'");
  const normalizer = parseNormalizer(json.normalizer);
  const model = parseModel(json.model, owned);
  return {
    normalizer,
    preTokenizer: parsePreTokenizer(json.pre_tokenizer),
    model,
    postProcessor: parsePostProcessor(json.post_processor, (id) => model.idToToken(id)),
    decoder: parseDecoder(json.decoder),
    addedTokens: parseAddedTokens(json.added_tokens),
    truncation: parseTruncation(json.truncation),
    padding: parsePadding(json.padding),
  };
}

/**
 * Every component of the tokenizer.json format against the oracle: normalizers, pre-tokenizers (each behaviour),
 * models (BPE options, WordPiece, WordLevel, Unigram), post-processors, decoders, added-token options. Each case is
 * a complete tokenizer.json given to both implementations; ids, tokens, offsets, word ids, type ids, masks and the
 * decoded text must agree on the adversarial strings and a corpus sample.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LLAMA3_PATTERN } from '../src/patterns/known-patterns.js';
import { Tokenizer } from '../src/tokenizer.js';
import { ADVERSARIAL, corpusSample } from './helpers/corpus.js';
import { addedToken, bpeModel, type FixtureModels, fixtureModels, tokenizerJson } from './helpers/fixture-models.js';
import { encodingDifference, oracleFromJson } from './helpers/oracle.js';

const INPUTS = [...ADVERSARIAL.filter((s) => s.length < 1000), ...corpusSample(60, 1, 1500)];
const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
const BYTE_LEVEL_NO_REGEX = { ...BYTE_LEVEL, use_regex: false };
const BYTE_DECODER = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };

type Case = [string, (m: FixtureModels) => Record<string, unknown>];

const byteLevel = (m: FixtureModels, parts: object = {}) =>
  tokenizerJson({ model: bpeModel(m.byteBpe), pre_tokenizer: BYTE_LEVEL, decoder: BYTE_DECODER, ...parts });
const charLevel = (m: FixtureModels, parts: object = {}, model: object = {}) =>
  tokenizerJson({
    model: bpeModel(m.charBpe, { unk_token: '[UNK]', ...model }),
    pre_tokenizer: { type: 'Whitespace' },
    added_tokens: [addedToken(m.charBpe.vocab['[UNK]'] ?? 0, '[UNK]')],
    ...parts,
  });
function withUnk(m: FixtureModels) {
  const vocab = { ...m.charBpe.vocab };
  if (vocab['[UNK]'] === undefined) vocab['[UNK]'] = Object.keys(vocab).length;
  return { ...m, charBpe: { vocab, merges: m.charBpe.merges } };
}

function wordPiece(m: FixtureModels): object {
  const vocab: Record<string, number> = { '[UNK]': 0, '[CLS]': 1, '[SEP]': 2, '[PAD]': 3, '[MASK]': 4 };
  const add = (t: string) => {
    if (vocab[t] === undefined) vocab[t] = Object.keys(vocab).length;
  };
  for (const t of Object.keys(m.charBpe.vocab))
    if ([...t].length === 1) {
      add(t);
      add(`##${t}`);
    }
  for (const [w] of m.words) add(w);
  for (const [w] of m.words.slice(0, 150)) if (w.length > 3) add(`##${w.slice(2)}`);
  return {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab,
  };
}

function unigram(m: FixtureModels, byteFallback: boolean): object {
  const pieces: Array<[string, number]> = [['<unk>', 0]];
  const seen = new Set(['<unk>']);
  const push = (p: string, score: number) => {
    if (!seen.has(p)) {
      seen.add(p);
      pieces.push([p, score]);
    }
  };
  if (byteFallback) for (let b = 0; b < 256; b++) push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, -20);
  const total = m.words.reduce((n, [, c]) => n + c, 0);
  for (const [w, c] of m.words) push(`▁${w}`, Math.log(c / total));
  for (const [w, c] of m.words.slice(0, 200)) push(w, Math.log(c / total) - 1);
  for (const t of Object.keys(m.charBpe.vocab)) if ([...t].length === 1) push(t, -12.5);
  push('▁', -3);
  return { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: byteFallback };
}

const METASPACE = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };

const CASES: Case[] = [
  // Normalizers
  ...['NFC', 'NFD', 'NFKC', 'NFKD'].map(
    (form): Case => [`normalizer ${form}`, (m) => charLevel(withUnk(m), { normalizer: { type: form } })],
  ),
  ['normalizer Lowercase', (m) => charLevel(withUnk(m), { normalizer: { type: 'Lowercase' } })],
  ['normalizer Strip', (m) => byteLevel(m, { normalizer: { type: 'Strip', strip_left: true, strip_right: true } })],
  [
    'normalizer Strip right',
    (m) => byteLevel(m, { normalizer: { type: 'Strip', strip_left: false, strip_right: true } }),
  ],
  [
    'normalizer NFD+StripAccents',
    (m) =>
      charLevel(withUnk(m), {
        normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }] },
      }),
  ],
  [
    'normalizer Replace string',
    (m) => byteLevel(m, { normalizer: { type: 'Replace', pattern: { String: '  ' }, content: ' ' } }),
  ],
  [
    'normalizer Replace regex',
    (m) => byteLevel(m, { normalizer: { type: 'Replace', pattern: { Regex: '\\s+' }, content: '_' } }),
  ],
  ['normalizer Prepend', (m) => byteLevel(m, { normalizer: { type: 'Prepend', prepend: '▁' } })],
  [
    'normalizer BertNormalizer',
    (m) =>
      charLevel(withUnk(m), {
        normalizer: {
          type: 'BertNormalizer',
          clean_text: true,
          handle_chinese_chars: true,
          strip_accents: null,
          lowercase: true,
        },
      }),
  ],
  [
    'normalizer BertNormalizer no lowercase',
    (m) =>
      charLevel(withUnk(m), {
        normalizer: {
          type: 'BertNormalizer',
          clean_text: true,
          handle_chinese_chars: true,
          strip_accents: false,
          lowercase: false,
        },
      }),
  ],
  ['normalizer Nmt', (m) => byteLevel(m, { normalizer: { type: 'Nmt' } })],
  [
    'normalizer Sequence NFKC+Lowercase+Replace',
    (m) =>
      byteLevel(m, {
        normalizer: {
          type: 'Sequence',
          normalizers: [
            { type: 'NFKC' },
            { type: 'Lowercase' },
            { type: 'Replace', pattern: { String: 'th' }, content: 'TH' },
          ],
        },
      }),
  ],
  [
    'normalizer ByteLevel',
    (m) => tokenizerJson({ model: bpeModel(m.byteBpe), normalizer: { type: 'ByteLevel' }, decoder: BYTE_DECODER }),
  ],
  // Pre-tokenizers
  [
    'pre_tokenizer ByteLevel add_prefix_space',
    (m) => byteLevel(m, { pre_tokenizer: { ...BYTE_LEVEL, add_prefix_space: true } }),
  ],
  ['pre_tokenizer ByteLevel without regex', (m) => byteLevel(m, { pre_tokenizer: BYTE_LEVEL_NO_REGEX })],
  ...['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'].flatMap((behavior): Case[] => [
    [
      `pre_tokenizer Split regex ${behavior}`,
      (m) =>
        byteLevel(m, {
          pre_tokenizer: {
            type: 'Sequence',
            pretokenizers: [
              { type: 'Split', pattern: { Regex: '[\\s,.]+' }, behavior, invert: false },
              BYTE_LEVEL_NO_REGEX,
            ],
          },
        }),
    ],
    [
      `pre_tokenizer Split string ${behavior}`,
      (m) =>
        byteLevel(m, {
          pre_tokenizer: {
            type: 'Sequence',
            pretokenizers: [{ type: 'Split', pattern: { String: ' ' }, behavior, invert: false }, BYTE_LEVEL_NO_REGEX],
          },
        }),
    ],
    [
      `pre_tokenizer Punctuation ${behavior}`,
      (m) =>
        byteLevel(m, {
          pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Punctuation', behavior }, BYTE_LEVEL_NO_REGEX] },
        }),
    ],
  ]),
  [
    'pre_tokenizer Split inverted',
    (m) =>
      byteLevel(m, {
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: '\\p{L}+' }, behavior: 'Isolated', invert: true },
            BYTE_LEVEL_NO_REGEX,
          ],
        },
      }),
  ],
  [
    'pre_tokenizer Split Llama-3 regex',
    (m) =>
      byteLevel(m, {
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: LLAMA3_PATTERN }, behavior: 'Isolated', invert: false },
            BYTE_LEVEL_NO_REGEX,
          ],
        },
      }),
  ],
  [
    'pre_tokenizer Split Llama-3 regex Removed',
    (m) =>
      byteLevel(m, {
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: LLAMA3_PATTERN }, behavior: 'Removed', invert: false },
            BYTE_LEVEL_NO_REGEX,
          ],
        },
      }),
  ],
  [
    'pre_tokenizer Digits individual',
    (m) =>
      byteLevel(m, {
        pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, BYTE_LEVEL] },
      }),
  ],
  [
    'pre_tokenizer Digits contiguous',
    (m) =>
      byteLevel(m, {
        pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: false }, BYTE_LEVEL] },
      }),
  ],
  ['pre_tokenizer Whitespace', (m) => charLevel(withUnk(m))],
  ['pre_tokenizer WhitespaceSplit', (m) => charLevel(withUnk(m), { pre_tokenizer: { type: 'WhitespaceSplit' } })],
  ['pre_tokenizer BertPreTokenizer', (m) => charLevel(withUnk(m), { pre_tokenizer: { type: 'BertPreTokenizer' } })],
  [
    'pre_tokenizer CharDelimiterSplit',
    (m) => charLevel(withUnk(m), { pre_tokenizer: { type: 'CharDelimiterSplit', delimiter: 'e' } }),
  ],
  [
    'pre_tokenizer FixedLength',
    (m) =>
      byteLevel(m, {
        pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'FixedLength', length: 3 }, BYTE_LEVEL_NO_REGEX] },
      }),
  ],
  ...['always', 'first', 'never'].flatMap((scheme): Case[] =>
    [true, false].map(
      (split): Case => [
        `pre_tokenizer Metaspace ${scheme} split=${split}`,
        (m) => {
          const vocab = { ...m.metaspaceBpe.vocab, '<unk>': Object.keys(m.metaspaceBpe.vocab).length };
          return tokenizerJson({
            model: bpeModel({ vocab, merges: m.metaspaceBpe.merges }, { unk_token: '<unk>' }),
            pre_tokenizer: { ...METASPACE, prepend_scheme: scheme, split },
            decoder: { ...METASPACE, prepend_scheme: scheme, split },
            added_tokens: [addedToken(vocab['<unk>'], '<unk>'), addedToken(vocab['<unk>'] + 1, '<s>')],
          });
        },
      ],
    ),
  ),
  // Models
  [
    'model BPE byte_fallback (SentencePiece style)',
    (m) => {
      const vocab = { ...m.metaspaceBpe.vocab };
      for (let b = 0; b < 256; b++)
        vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = Object.keys(vocab).length;
      vocab['<unk>'] = Object.keys(vocab).length;
      return tokenizerJson({
        model: bpeModel(
          { vocab, merges: m.metaspaceBpe.merges },
          { unk_token: '<unk>', byte_fallback: true, fuse_unk: true },
        ),
        normalizer: {
          type: 'Sequence',
          normalizers: [
            { type: 'Prepend', prepend: '▁' },
            { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
          ],
        },
        decoder: {
          type: 'Sequence',
          decoders: [
            { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
            { type: 'ByteFallback' },
            { type: 'Fuse' },
            { type: 'Strip', content: ' ', start: 1, stop: 0 },
          ],
        },
        added_tokens: [addedToken(vocab['<unk>'], '<unk>')],
      });
    },
  ],
  ['model BPE unk not fused', (m) => charLevel(withUnk(m), {}, { fuse_unk: false })],
  ['model BPE unk fused', (m) => charLevel(withUnk(m), {}, { fuse_unk: true })],
  [
    'model BPE without unk (unknown characters dropped)',
    (m) => tokenizerJson({ model: bpeModel(m.charBpe), pre_tokenizer: { type: 'Whitespace' } }),
  ],
  ['model BPE ignore_merges', (m) => byteLevel(m, { model: bpeModel(m.byteBpe, { ignore_merges: true }) })],
  [
    'model BPE continuing_subword_prefix and end_of_word_suffix',
    (m) => {
      const vocab: Record<string, number> = { '[UNK]': 0 };
      for (const t of Object.keys(m.charBpe.vocab)) {
        for (const v of [t, `##${t}`, `${t}</w>`, `##${t}</w>`])
          if (vocab[v] === undefined) vocab[v] = Object.keys(vocab).length;
      }
      const merges: Array<[string, string]> = [];
      for (const [a, b] of m.charBpe.merges.slice(0, 200)) {
        merges.push([a, `##${b}`]);
        const merged = a + b;
        for (const v of [merged]) if (vocab[v] === undefined) vocab[v] = Object.keys(vocab).length;
      }
      return tokenizerJson({
        model: bpeModel(
          { vocab, merges },
          { unk_token: '[UNK]', continuing_subword_prefix: '##', end_of_word_suffix: '</w>' },
        ),
        pre_tokenizer: { type: 'Whitespace' },
        decoder: { type: 'BPEDecoder', suffix: '</w>' },
      });
    },
  ],
  [
    'model WordPiece',
    (m) =>
      tokenizerJson({
        model: wordPiece(m),
        normalizer: {
          type: 'BertNormalizer',
          clean_text: true,
          handle_chinese_chars: true,
          strip_accents: null,
          lowercase: true,
        },
        pre_tokenizer: { type: 'BertPreTokenizer' },
        post_processor: { type: 'BertProcessing', sep: ['[SEP]', 2], cls: ['[CLS]', 1] },
        decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
        added_tokens: ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'].map((t, i) => addedToken(i, t)),
      }),
  ],
  [
    'model WordLevel',
    (m) =>
      tokenizerJson({
        model: {
          type: 'WordLevel',
          vocab: Object.fromEntries([['<unk>', 0], ...m.words.map(([w], i) => [w, i + 1])]),
          unk_token: '<unk>',
        },
        normalizer: { type: 'Lowercase' },
        pre_tokenizer: { type: 'Whitespace' },
      }),
  ],
  ['model Unigram', (m) => tokenizerJson({ model: unigram(m, false), pre_tokenizer: METASPACE, decoder: METASPACE })],
  [
    'model Unigram byte_fallback',
    (m) =>
      tokenizerJson({
        model: unigram(m, true),
        pre_tokenizer: METASPACE,
        decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, METASPACE] },
      }),
  ],
  // Post-processors
  [
    'post_processor TemplateProcessing',
    (m) =>
      byteLevel(m, {
        post_processor: {
          type: 'TemplateProcessing',
          single: [
            { SpecialToken: { id: '<s>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '</s>', type_id: 0 } },
          ],
          pair: [
            { SpecialToken: { id: '<s>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '</s>', type_id: 0 } },
            { Sequence: { id: 'B', type_id: 1 } },
            { SpecialToken: { id: '</s>', type_id: 1 } },
          ],
          special_tokens: {
            '<s>': { id: '<s>', ids: [1200], tokens: ['<s>'] },
            '</s>': { id: '</s>', ids: [1201], tokens: ['</s>'] },
          },
        },
        added_tokens: [addedToken(1200, '<s>'), addedToken(1201, '</s>')],
      }),
  ],
  [
    'post_processor RobertaProcessing',
    (m) =>
      byteLevel(m, {
        pre_tokenizer: { ...BYTE_LEVEL, add_prefix_space: true },
        post_processor: {
          type: 'RobertaProcessing',
          sep: ['</s>', 1201],
          cls: ['<s>', 1200],
          trim_offsets: true,
          add_prefix_space: true,
        },
        added_tokens: [addedToken(1200, '<s>'), addedToken(1201, '</s>')],
      }),
  ],
  [
    'post_processor ByteLevel trim_offsets',
    (m) => byteLevel(m, { post_processor: { ...BYTE_LEVEL, trim_offsets: true } }),
  ],
  [
    'post_processor ByteLevel trim_offsets with prefix space',
    (m) =>
      byteLevel(m, {
        pre_tokenizer: { ...BYTE_LEVEL, add_prefix_space: true },
        post_processor: { ...BYTE_LEVEL, add_prefix_space: true, trim_offsets: true },
      }),
  ],
  [
    'post_processor Sequence',
    (m) =>
      byteLevel(m, {
        post_processor: {
          type: 'Sequence',
          processors: [
            { ...BYTE_LEVEL, trim_offsets: true },
            {
              type: 'TemplateProcessing',
              single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
              pair: [
                { SpecialToken: { id: '<s>', type_id: 0 } },
                { Sequence: { id: 'A', type_id: 0 } },
                { SpecialToken: { id: '<s>', type_id: 1 } },
                { Sequence: { id: 'B', type_id: 1 } },
              ],
              special_tokens: { '<s>': { id: '<s>', ids: [1200], tokens: ['<s>'] } },
            },
          ],
        },
        added_tokens: [addedToken(1200, '<s>')],
      }),
  ],
  // Decoders
  [
    'decoder CTC',
    (m) =>
      charLevel(withUnk(m), { decoder: { type: 'CTC', pad_token: 'e', word_delimiter_token: 't', cleanup: true } }),
  ],
  // (a token made only of stripped characters with stop > 0 makes the oracle panic: strip.rs slices backwards)
  [
    'decoder Strip + Fuse',
    (m) =>
      charLevel(withUnk(m), {
        decoder: { type: 'Sequence', decoders: [{ type: 'Strip', content: 'a', start: 2, stop: 0 }, { type: 'Fuse' }] },
      }),
  ],
  [
    'decoder Replace regex',
    (m) => charLevel(withUnk(m), { decoder: { type: 'Replace', pattern: { Regex: '[aeiou]' }, content: '*' } }),
  ],
  // Added tokens
  [
    'added tokens lstrip/rstrip/single_word/normalized',
    (m) =>
      byteLevel(m, {
        normalizer: { type: 'Lowercase' },
        added_tokens: [
          addedToken(1200, '<mask>', { lstrip: true, rstrip: true }),
          addedToken(1201, 'the', { single_word: true, normalized: true, special: false }),
          addedToken(1202, 'ing', { normalized: true, special: false }),
          addedToken(1203, '<|im_end|>', { rstrip: true }),
          addedToken(1204, ' x ', { normalized: false, special: false }),
          addedToken(0, '!', { special: true }),
        ],
      }),
  ],
];

const EXTRA_INPUTS = [
  'The <mask> is here <mask>.',
  'the theme: thing, the. <|im_end|>  next',
  'ING <mask>the<mask> x a x b',
];

describe('components against the oracle', () => {
  let models: FixtureModels;
  beforeAll(async () => {
    models = await fixtureModels();
  });

  it.each(CASES)('%s', async (_name, build) => {
    const json = build(models);
    const ours = Tokenizer.fromJSON(json);
    const oracle = oracleFromJson(json);
    const inputs = [...INPUTS, ...EXTRA_INPUTS];
    const expected = await oracle.encodeBatch(inputs);
    const differences: string[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const got = ours.encode(inputs[i]);
      const difference = encodingDifference(inputs[i], expected[i], got);
      if (difference !== null) differences.push(difference);
    }
    // Decoding (one call into the binding per input, so a sample).
    for (let i = 0; i < inputs.length; i += 3) {
      const ids = expected[i].getIds();
      const decoded = ours.decode(ids);
      const oracleDecoded = await oracle.decode(ids, false);
      if (decoded !== oracleDecoded)
        differences.push(
          `decode of ${JSON.stringify(inputs[i].slice(0, 40))}: expected ${JSON.stringify(oracleDecoded.slice(0, 80))}, got ${JSON.stringify(decoded.slice(0, 80))}`,
        );
      if (i % 9 === 0 && ours.decode(ids, { skipSpecialTokens: true }) !== (await oracle.decode(ids, true))) {
        differences.push(`decode (skip special) of ${JSON.stringify(inputs[i].slice(0, 40))} differs`);
      }
    }
    const pairs: Array<[string, string]> = [
      ['Hello there!', 'General Kenobi 42'],
      [INPUTS[40], INPUTS[41]],
    ];
    for (const [a, b] of pairs) {
      const e = await oracle.encode(a, b);
      const difference = encodingDifference(a, e, ours.encode(a, { pair: b }), b);
      if (difference !== null) differences.push(`pair: ${difference}`);
    }
    expect(differences.slice(0, 5)).toEqual([]);
  });
});

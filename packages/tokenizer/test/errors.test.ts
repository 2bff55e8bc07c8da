/** Bad input fails at load with a clear error naming the problem and the component. */
import { describe, expect, it } from 'vitest';
import { TokenizerConfigError, UnsupportedComponentError } from '../src/errors.js';
import { Tokenizer } from '../src/tokenizer.js';
import { tokenizerJson } from './helpers/fixture-models.js';

const BPE = { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: [['a', 'b']] };

function load(parts: Parameters<typeof tokenizerJson>[0]): () => Tokenizer {
  return () => Tokenizer.fromJSON(tokenizerJson(parts));
}

describe('errors at load', () => {
  it('rejects text that is not JSON', () => {
    expect(() => Tokenizer.fromJSON('{"model": ')).toThrow(/tokenizer.json is not valid JSON/);
  });

  it('requires a model', () => {
    expect(() => Tokenizer.fromJSON({ version: '1.0' })).toThrow(/missing 'model'/);
  });

  it.each([
    ['normalizer', { normalizer: { type: 'Frobnicate' } }, "unsupported normalizer type 'Frobnicate'"],
    ['pre_tokenizer', { pre_tokenizer: { type: 'UnicodeScripts' } }, "unsupported pre_tokenizer type 'UnicodeScripts'"],
    ['post_processor', { post_processor: { type: 'Magic' } }, "unsupported post_processor type 'Magic'"],
    ['decoder', { decoder: { type: 'Mystery' } }, "unsupported decoder type 'Mystery'"],
    [
      'nested',
      { normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Nope' }] } },
      "unsupported normalizer type 'Nope'",
    ],
  ])('names an unsupported %s component', (_section, parts, message) => {
    const run = load({ model: BPE, ...parts });
    expect(run).toThrow(UnsupportedComponentError);
    expect(run).toThrow(message);
  });

  it('names an unsupported model', () => {
    expect(load({ model: { type: 'Markov', vocab: {} } })).toThrow("unsupported model type 'Markov'");
  });

  it('names the merge whose token is missing from the vocabulary', () => {
    expect(
      load({
        model: {
          ...BPE,
          merges: [
            ['a', 'b'],
            ['b', 'c'],
          ],
        },
      }),
    ).toThrow("model BPE: merge 1 uses 'c', not in the vocabulary");
    expect(load({ model: { ...BPE, vocab: { a: 0, b: 1 } } })).toThrow("merge 0 makes 'ab', not in the vocabulary");
  });

  it('reports fields of the wrong shape with section, field and value', () => {
    expect(
      load({ model: BPE, pre_tokenizer: { type: 'Split', pattern: 'x', behavior: 'Isolated', invert: false } }),
    ).toThrow(/pre_tokenizer Split: field 'pattern' must be \{"String": \.\.\.\} or \{"Regex": \.\.\.\}/);
    expect(
      load({ model: BPE, pre_tokenizer: { type: 'Split', pattern: { String: ' ' }, behavior: 'Sideways' } }),
    ).toThrow(/field 'behavior' must be one of Removed, Isolated/);
    expect(load({ model: { ...BPE, vocab: { a: 'zero' } } })).toThrow(/vocab entry "a" has id "zero"/);
    expect(load({ model: { ...BPE, merges: ['a b c'] } })).toThrow(/merge 0 "a b c" is not two tokens/);
    expect(load({ model: BPE, added_tokens: [{ id: 5 }] })).toThrow(
      /added_tokens\[0\]: field 'content' must be a string/,
    );
  });

  it('rejects what it cannot reproduce exactly', () => {
    expect(load({ model: { ...BPE, dropout: 0.1 } })).toThrow(/dropout 0.1 is not supported/);
    expect(
      load({
        model: BPE,
        pre_tokenizer: { type: 'Split', pattern: { Regex: '(?>a)' }, behavior: 'Isolated', invert: false },
      }),
    ).toThrow(/atomic group/);
    expect(load({ model: BPE, normalizer: { type: 'Precompiled', precompiled_charsmap: '' } })).toThrow(
      "unsupported normalizer type 'Precompiled'",
    );
  });

  it('reports a template that uses an undeclared special token', () => {
    expect(
      load({
        model: BPE,
        post_processor: {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<s>', type_id: 0 } }],
          pair: [],
          special_tokens: {},
        },
      }),
    ).toThrow(/uses '<s>', missing from special_tokens/);
  });

  it('is a TokenizerConfigError throughout', () => {
    expect(load({ model: BPE, decoder: { type: 'Strip', content: 'ab', start: 1, stop: 0 } })).toThrow(
      TokenizerConfigError,
    );
  });
});

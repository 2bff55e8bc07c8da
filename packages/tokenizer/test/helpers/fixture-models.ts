/**
 * Small models for component tests, built from the corpus sample with our own trainer (deterministic; the oracle
 * receives the very same tokenizer.json): byte-level BPE, character BPE, Metaspace BPE, and WordPiece, WordLevel and
 * Unigram vocabularies derived from word counts.
 */
import { trainBpe } from '../../src/training/train-bpe.js';
import { corpusSample } from './corpus.js';

export interface FixtureModels {
  byteBpe: { vocab: Record<string, number>; merges: Array<[string, string]> };
  charBpe: { vocab: Record<string, number>; merges: Array<[string, string]> };
  metaspaceBpe: { vocab: Record<string, number>; merges: Array<[string, string]> };
  words: Array<[string, number]>;
}

let cached: Promise<FixtureModels> | undefined;

function modelOf(json: Record<string, unknown>) {
  const model = json.model as { vocab: Record<string, number>; merges: Array<[string, string]> };
  return { vocab: model.vocab, merges: model.merges };
}

export function fixtureModels(): Promise<FixtureModels> {
  cached ??= (async () => {
    const lines = corpusSample(4, 0);
    const byteBpe = await trainBpe(lines, { vocabSize: 1200, preTokenizer: 'gpt2' });
    const charBpe = await trainBpe(lines, {
      vocabSize: 1500,
      preTokenizer: { type: 'Whitespace' },
      initialAlphabet: 'seen',
    });
    const metaspaceBpe = await trainBpe(lines, {
      vocabSize: 1500,
      preTokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      initialAlphabet: 'seen',
    });
    const counts = new Map<string, number>();
    for (const line of lines)
      for (const w of line.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
    const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 400);
    return {
      byteBpe: modelOf(byteBpe.json),
      charBpe: modelOf(charBpe.json),
      metaspaceBpe: modelOf(metaspaceBpe.json),
      words,
    };
  })();
  return cached;
}

/** A tokenizer.json object with every section present, as Hugging Face's parser wants. */
export function tokenizerJson(parts: {
  model: object;
  normalizer?: object | null;
  pre_tokenizer?: object | null;
  post_processor?: object | null;
  decoder?: object | null;
  added_tokens?: object[];
  truncation?: object | null;
  padding?: object | null;
}): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: parts.truncation ?? null,
    padding: parts.padding ?? null,
    added_tokens: parts.added_tokens ?? [],
    normalizer: parts.normalizer ?? null,
    pre_tokenizer: parts.pre_tokenizer ?? null,
    post_processor: parts.post_processor ?? null,
    decoder: parts.decoder ?? null,
    model: parts.model,
  };
}

export function bpeModel(
  m: { vocab: Record<string, number>; merges: Array<[string, string]> },
  options: object = {},
): object {
  return {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab: m.vocab,
    merges: m.merges,
    ...options,
  };
}

export function addedToken(id: number, content: string, options: Partial<Record<string, boolean>> = {}): object {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
    ...options,
  };
}

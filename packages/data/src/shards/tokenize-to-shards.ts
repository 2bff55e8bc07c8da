/**
 * Tokenizes a text or JSONL source into token shards, streaming: documents are scanned in file order, tokenized one
 * at a time and appended to `<outDir>/<prefix>-00000.bin` (+ `.idx`), starting a new shard once one holds
 * `maxTokensPerShard` tokens. Bad input follows the policy and is returned with the counts. Suitable as the body
 * of a CLI command (`falcon-h1 tokenize-shards …`).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type BadInput, BadInputLog, type BadInputPolicy } from '../bad-input.js';
import { resolveSourceFiles } from '../readers/resolve-paths.js';
import { scanDocuments } from '../readers/scan-documents.js';
import { type SourceSpec, validateSourceSpec } from '../source-spec.js';
import type { TextTokenizer } from '../sources/document-source.js';
import { dtypeForVocabulary, type TokenDtype } from './shard-format.js';
import { TokenShardWriter } from './token-shard-writer.js';

export interface TokenizeToShardsOptions {
  tokenizer: TextTokenizer;
  /** A 'text' or 'jsonl' source. */
  source: SourceSpec;
  outDir: string;
  /** File name prefix (default: the source name). */
  prefix?: string;
  /** Start a new shard after this many tokens (default 2^28, 512 MiB of u16). */
  maxTokensPerShard?: number;
  dtype?: TokenDtype;
  onBadInput: BadInputPolicy;
  onProgress?: (progress: { documents: number; tokens: number }) => void;
}

export interface TokenizeToShardsResult {
  shards: string[];
  documents: number;
  tokens: number;
  emptyDocuments: number;
  badInputs: BadInput[];
}

export async function tokenizeToShards(options: TokenizeToShardsOptions): Promise<TokenizeToShardsResult> {
  const { source, tokenizer } = options;
  validateSourceSpec(source);
  if (source.kind === 'shards') throw new Error(`source '${source.name}' is already tokenized`);
  const bad = new BadInputLog(options.onBadInput);
  const vocabSize = tokenizer.getVocabSize(true);
  const dtype = options.dtype ?? dtypeForVocabulary(vocabSize);
  const limit = options.maxTokensPerShard ?? 2 ** 28;
  const prefix = options.prefix ?? source.name;
  await mkdir(options.outDir, { recursive: true });

  const files = await resolveSourceFiles(source.name, source.paths, bad);
  const shards: string[] = [];
  let writer: TokenShardWriter | null = null;
  let documents = 0;
  let tokens = 0;
  let empty = 0;
  try {
    for await (const doc of scanDocuments(source, files, bad)) {
      if (doc.text === '') {
        empty++;
        continue;
      }
      if (writer === null || writer.tokens >= limit) {
        await writer?.close();
        const path = join(options.outDir, `${prefix}-${String(shards.length).padStart(5, '0')}.bin`);
        writer = await TokenShardWriter.create(path, { dtype, vocabSize });
        shards.push(path);
      }
      const ids = tokenizer.encodeIds(doc.text, { addSpecialTokens: false });
      await writer.append(ids);
      documents++;
      tokens += ids.length;
      if (documents % 10_000 === 0) options.onProgress?.({ documents, tokens });
    }
  } finally {
    await writer?.close();
  }
  return { shards, documents, tokens, emptyDocuments: empty, badInputs: bad.skipped };
}

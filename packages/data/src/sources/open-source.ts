/** Opens a source of any kind: resolves its paths, then indexes it (text, JSONL) or opens its shards. */
import type { BadInputLog } from '../bad-input.js';
import type { FilePool } from '../readers/file-pool.js';
import { resolveSourceFiles } from '../readers/resolve-paths.js';
import type { BlockCache } from '../shards/block-cache.js';
import { type SourceSpec, validateSourceSpec } from '../source-spec.js';
import type { DocumentSource, TextTokenizer } from './document-source.js';
import { ShardSource } from './shard-source.js';
import { TextualSource } from './textual-source.js';

export async function openSource(
  spec: SourceSpec,
  tokenizer: TextTokenizer,
  bad: BadInputLog,
  pool: FilePool,
  cache: BlockCache,
): Promise<DocumentSource> {
  validateSourceSpec(spec);
  if (spec.kind === 'shards') {
    const files = await resolveSourceFiles(spec.name, spec.paths, bad, (f) => f.endsWith('.bin'));
    return ShardSource.open(spec, files, tokenizer.getVocabSize(true), bad, pool, cache);
  }
  const files = await resolveSourceFiles(spec.name, spec.paths, bad);
  return TextualSource.open(spec, files, tokenizer, bad, pool);
}

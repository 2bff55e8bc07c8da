/**
 * The decode batch's cache, assembled from the caches of its sequences whenever the batch changes (a sequence
 * joins after prefill, or leaves), and used as is for every step in between.
 *
 * Rows hold sequences of different lengths, so the batch cache is left-padded as hybrid-block's left-padded
 * generation is: row r keeps its Lr cached keys and values at the end of S = max Lr positions, with document id 1,
 * after S − Lr zero positions with document id 0. Attention only lets a query see keys of its own document, so the
 * padding is never read; the Mamba2 conv and SSM states have no length axis and are simply stacked. Every row then
 * continues document 1 at position Lr (its own RoPE position), exactly as the sequence alone would.
 *
 * Assembling copies the caches once (O(cache) per change of the batch, nothing per step in between), with a few
 * kernels per layer whatever the batch size: the rows that come from one cache (the previous batch, kept in order)
 * are taken with one gather and aligned to the new length with one slice or one zero padding.
 */
import { concat, gather, reshape, sliceAxis, type Tensor, tensor, tidy, zeros } from '@falcon-h1/core-tensor';
import { FalconH1HybridCache } from '@falcon-h1/hybrid-block';

/** Where one row of the new batch cache comes from. */
export interface CacheRowSource {
  cache: FalconH1HybridCache;
  /** The row of `cache`. */
  row: number;
  /** Positions this sequence has cached (its last `length` positions in `cache`). */
  length: number;
}

const PADDING_DOCUMENT = 0;
const SEQUENCE_DOCUMENT = 1;

/** Consecutive sources that share a cache: taken together, with one gather. */
interface SourceGroup {
  cache: FalconH1HybridCache;
  rows: number[];
}

function groupSources(sources: readonly CacheRowSource[]): SourceGroup[] {
  const groups: SourceGroup[] = [];
  for (const s of sources) {
    const last = groups[groups.length - 1];
    if (last && last.cache === s.cache) last.rows.push(s.row);
    else groups.push({ cache: s.cache, rows: [s.row] });
  }
  return groups;
}

/**
 * `rows` of a [B, ...] tensor. All of them in order: a view sharing its buffer (never the tensor itself, which
 * its cache disposes).
 */
function takeRows(source: Tensor, rows: readonly number[]): Tensor {
  if (rows.length === source.shape[0] && rows.every((r, i) => r === i)) return reshape(source, source.shape);
  return gather(source, tensor(rows, [rows.length], 'i32', source.backend));
}

/**
 * `rows` of a [B, S, ...] cache tensor over exactly the last `target` positions: every row's own positions are its
 * last ones and number at most `target`, so dropping older positions drops only padding, and a shorter block is
 * left-padded with zeros.
 */
function alignedRows(source: Tensor, rows: readonly number[], target: number): Tensor {
  const block = takeRows(source, rows);
  const s = block.shape[1]!;
  if (s > target) return sliceAxis(block, 1, s - target, target);
  if (s === target) return block;
  const padShape = [rows.length, target - s, ...block.shape.slice(2)];
  return concat([zeros(padShape, block.dtype, block.backend), block], 1);
}

function concatRows(parts: Tensor[]): Tensor {
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}

/** A new cache holding `sources` as rows 0..n-1. The sources are left untouched (their owners dispose them). */
export function assembleBatchCache(sources: readonly CacheRowSource[]): FalconH1HybridCache {
  if (sources.length === 0) throw new Error('assembleBatchCache: no rows');
  const numLayers = sources[0]!.cache.layers.length;
  const target = Math.max(...sources.map((s) => s.length));
  const groups = groupSources(sources);
  const batch = new FalconH1HybridCache(numLayers, sources.length);
  const documents = new Int32Array(sources.length * target);
  sources.forEach((s, r) => {
    documents.fill(PADDING_DOCUMENT, r * target, r * target + target - s.length);
    documents.fill(SEQUENCE_DOCUMENT, r * target + target - s.length, (r + 1) * target);
  });
  tidy(() => {
    const backend = sources[0]!.cache.layers[0]!.kv.keys!.backend;
    const seqIdx = tensor(documents, [sources.length, target], 'i32', backend);
    for (let i = 0; i < numLayers; i++) {
      const kv = (which: 'keys' | 'values') =>
        concatRows(groups.map((g) => alignedRows(g.cache.layers[i]!.kv[which]!, g.rows, target)));
      const state = (which: 'convState' | 'ssmState') =>
        concatRows(groups.map((g) => takeRows(g.cache.layers[i]!.mamba![which], g.rows)));
      // The first append keeps (views of) these tensors; tidy frees everything else made here.
      batch.layers[i]!.kv.append(kv('keys'), kv('values'), seqIdx);
      batch.setMambaState(i, { convState: state('convState'), ssmState: state('ssmState') });
    }
  });
  batch.rows = sources.map((s) => ({ document: SEQUENCE_DOCUMENT, nextPosition: s.length }));
  batch.tracksDocuments = true;
  return batch;
}

/**
 * The RoPE positions and document ids of one forward call. Packed rows (several documents back to back) and
 * left-padded batches (a padding document, then the prompt) give document ids; positions restart at 0 in every
 * document. With a cache, the first tokens of a row continue the row's last cached document (positions go on)
 * and, when the cache tracks documents, calls without ids continue that document.
 */
import { documentPositions, type RowContinuation, sequentialPositions } from '@falcon-h1/attention';
import { type Backend, type Tensor, tensor } from '@falcon-h1/core-tensor';
import type { FalconH1HybridCache } from './hybrid-cache.js';

export interface BatchLayoutOptions {
  /** Document ids [B, T] (row-major host values, or an i32 tensor). */
  seqIdx?: Tensor | ArrayLike<number>;
  /** RoPE positions [B, T] (host values or an i32 tensor); derived from the document ids when absent. */
  positions?: Tensor | ArrayLike<number>;
}

export interface BatchLayout {
  positions: Tensor;
  seqIdx?: Tensor;
  /** For a cache: what each row continues after this call. */
  rowsAfter: RowContinuation[];
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'dataId' in value && 'backend' in value;
}

function hostValues(value: Tensor | ArrayLike<number>, what: string, b: number, t: number): ArrayLike<number> {
  if (isTensor(value)) {
    if (value.dtype !== 'i32' || value.shape.length !== 2 || value.shape[0] !== b || value.shape[1] !== t) {
      throw new Error(`${what} must be i32[${b}, ${t}], got ${value.dtype}[${value.shape.join(', ')}]`);
    }
    if (!value.backend.capabilities.syncReadback) {
      throw new Error(
        `${what}: backend '${value.backend.name}' cannot read tensors synchronously; pass ${what} as host values (or give positions too)`,
      );
    }
    return value.dataSync() as Int32Array;
  }
  if (value.length !== b * t) throw new Error(`${what}: ${value.length} values for a [${b}, ${t}] batch`);
  return value;
}

/** Resolves the positions and document ids of a [B, T] call, continuing `cache` when given. */
export function resolveBatchLayout(
  b: number,
  t: number,
  options: BatchLayoutOptions,
  backend: Backend,
  cache?: FalconH1HybridCache,
): BatchLayout {
  const continuing = cache?.rows;
  let seqHost: ArrayLike<number> | undefined;
  let seqIdx: Tensor | undefined;
  if (options.seqIdx !== undefined) {
    if (continuing && !cache!.tracksDocuments) {
      throw new Error('document ids given, but the cache was filled without them (give seqIdx on the first call too)');
    }
    if (isTensor(options.seqIdx)) seqIdx = options.seqIdx;
    if (!isTensor(options.positions) || cache) seqHost = hostValues(options.seqIdx, 'seqIdx', b, t);
  } else if (continuing && cache!.tracksDocuments) {
    // A call without ids continues each row's document (decoding after a packed or left-padded prefill).
    const ids = new Int32Array(b * t);
    for (let r = 0; r < b; r++) ids.fill(continuing[r]!.document, r * t, (r + 1) * t);
    seqHost = ids;
  }
  if (seqHost && !seqIdx) seqIdx = tensor(seqHost, [b, t], 'i32', backend);

  let positions: Tensor;
  let positionHost: ArrayLike<number> | undefined;
  if (options.positions !== undefined) {
    if (isTensor(options.positions)) {
      positions = options.positions;
      if (cache) positionHost = hostValues(options.positions, 'positions', b, t);
    } else {
      positionHost = hostValues(options.positions, 'positions', b, t);
      positions = tensor(positionHost, [b, t], 'i32', backend);
    }
  } else {
    positionHost = seqHost
      ? documentPositions(seqHost, b, t, continuing)
      : sequentialPositions(
          b,
          t,
          (continuing ?? []).map((row) => row.nextPosition),
        );
    positions = tensor(positionHost, [b, t], 'i32', backend);
  }

  const rowsAfter: RowContinuation[] = [];
  if (positionHost && t > 0) {
    for (let r = 0; r < b; r++) {
      const last = r * t + t - 1;
      rowsAfter.push({ document: seqHost ? seqHost[last]! : 0, nextPosition: positionHost[last]! + 1 });
    }
  }
  return { positions, seqIdx, rowsAfter };
}

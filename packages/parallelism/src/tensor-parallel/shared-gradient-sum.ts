/**
 * The sum of the gradients of pieces several ranks of a tensor-parallel group hold — a KV head or SSM group
 * copied on the ranks that split its query or SSM heads, and (sequence parallelism) the norms, the embedding and
 * the head — done on the device, in flat buckets, with no host read.
 *
 * Only elements held by two ranks or more need a sum; sharded projections (each rank its own rows or columns) need
 * none (told apart per axis, without listing elements). So, once per model, the plan finds for every parameter the
 * overlap of its holders' pieces: a parameter is
 * viewed as [rows, rowSize] (rowSize = the product of the other axes) when every holder takes whole rows — the
 * case of every shared piece the shard plans make — or element by element otherwise. Every rank walks the same
 * list of overlaps (derived from every rank's plan), so the collectives match:
 *
 *   contribution = its gradient's rows of the overlap (a `gather` of a zero row where it holds none)
 *   buckets      = contributions concatenated up to `bucketElements`, each all-reduced over the group as soon as
 *                  it is full (issued, not awaited: the buckets are in flight together)
 *   new gradient = its rows, the overlap's replaced by their sums (one `gather` over [own rows; summed rows])
 *
 * The values are those of a sum over the whole group in the full shape with zeros where a rank holds nothing
 * (the earlier host path, kept in the tests as the reference): the same numbers at the same places, reduced in
 * the same rank order. A rank that holds no piece of a parameter contributes zeros; a production version could
 * reduce over the holders' sub-communicator only.
 */
import {
  type Backend,
  cast,
  concat,
  type DType,
  dispose,
  gather,
  reshape,
  split,
  type Tensor,
  tensor,
  tidy,
  type Variable,
  zeros,
} from '@falcon-h1/core-tensor';
import type { Communicator } from '../communicator.js';
import { type ParameterShard, shardIndices } from '../sharding/parameter-shard.js';

/** One parameter whose holders' pieces overlap. */
export interface SharedGradientEntry {
  readonly name: string;
  /** Values per row of the [rows, rowSize] view (1: element by element). */
  readonly rowSize: number;
  /** Rows held by two ranks or more (the same on every rank). */
  readonly sharedRows: number;
  /** This rank's piece, if it holds one. */
  readonly own?: {
    readonly localRows: number;
    /** Per shared row, its row in the piece, or `localRows` (a zero row) where the piece lacks it; 'identity' when the piece is exactly the shared rows in order. */
    readonly pick: Int32Array | 'identity';
    /** Per row of the piece, itself (not shared) or `localRows` + its index among the shared rows. */
    readonly back: Int32Array;
  };
}

export interface SharedGradientPlan {
  readonly entries: readonly SharedGradientEntry[];
  /** Values all-reduced per step (every rank). */
  readonly elements: number;
}

export interface SharedGradientSumOptions {
  /** Values per all-reduced bucket (default 2²², 8 MB of bf16); 1 gives one all-reduce per parameter. */
  bucketElements?: number;
}

/**
 * The overlaps of the group's pieces: `shardsOf[rank]` are rank `rank`'s pieces, `rank` this process's rank.
 * Pieces whose gradient is 'replicated' (already whole on every holder) are left out.
 */
export function sharedGradientPlan(shardsOf: readonly (readonly ParameterShard[])[], rank: number): SharedGradientPlan {
  const holders = new Map<string, Array<{ rank: number; shard: ParameterShard }>>();
  shardsOf.forEach((shards, r) => {
    for (const shard of shards) {
      if (shard.gradient !== 'partial') continue;
      holders.set(shard.name, [...(holders.get(shard.name) ?? []), { rank: r, shard }]);
    }
  });
  const entries: SharedGradientEntry[] = [];
  for (const [name, pieces] of holders) {
    if (pieces.length < 2 || !anyOverlap(pieces.map((p) => p.shard))) continue;
    const fullShape = pieces[0]!.shard.fullShape;
    const wholeRows = fullShape.length > 0 && pieces.every(({ shard }) => shard.selection.slice(1).every((s) => !s));
    const rowSize = wholeRows ? fullShape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const rowsOf = (shard: ParameterShard): ArrayLike<number> =>
      wholeRows ? (shard.selection[0] ?? Array.from({ length: fullShape[0]! }, (_, i) => i)) : shardIndices(shard);
    const fullRows = wholeRows ? fullShape[0]! : fullShape.reduce((a, b) => a * b, 1);
    const holdersPerRow = new Int32Array(fullRows);
    for (const { shard } of pieces) for (const row of Array.from(rowsOf(shard))) holdersPerRow[row]!++;
    const sharedIndex = new Int32Array(fullRows).fill(-1);
    let sharedRows = 0;
    holdersPerRow.forEach((n, row) => {
      if (n >= 2) sharedIndex[row] = sharedRows++;
    });
    if (sharedRows === 0) continue;
    const mine = pieces.find((p) => p.rank === rank)?.shard;
    entries.push({
      name,
      rowSize,
      sharedRows,
      own: mine && ownPart(Array.from(rowsOf(mine)), sharedIndex, sharedRows),
    });
  }
  return { entries, elements: entries.reduce((a, e) => a + e.sharedRows * e.rowSize, 0) };
}

/** Whether two of the pieces share an element: they overlap on every axis (cheap, per axis; most do not). */
function anyOverlap(shards: readonly ParameterShard[]): boolean {
  const overlapOnAxis = (a: readonly number[] | undefined, b: readonly number[] | undefined): boolean => {
    if (!a || !b) return true;
    const set = new Set(a);
    return b.some((i) => set.has(i));
  };
  for (let i = 0; i < shards.length; i++) {
    for (let j = i + 1; j < shards.length; j++) {
      const [a, b] = [shards[i]!, shards[j]!];
      if (a.fullShape.every((_, axis) => overlapOnAxis(a.selection[axis], b.selection[axis]))) return true;
    }
  }
  return false;
}

function ownPart(rows: number[], sharedIndex: Int32Array, sharedRows: number): SharedGradientEntry['own'] {
  const localRows = rows.length;
  const pick = new Int32Array(sharedRows).fill(localRows);
  const back = new Int32Array(localRows);
  rows.forEach((row, local) => {
    const k = sharedIndex[row]!;
    if (k >= 0) pick[k] = local;
    back[local] = k >= 0 ? localRows + k : local;
  });
  const identity = sharedRows === localRows && pick.every((local, k) => local === k);
  return { localRows, pick: identity ? 'identity' : pick, back };
}

/**
 * Replaces, in `gradients`, the gradient of every piece this rank shares with others by the group's sum (the
 * old tensors are disposed). Every rank of `comm` must call it with the same plan shape (see above).
 */
export async function sumSharedGradientsOnDevice(
  comm: Communicator,
  plan: SharedGradientPlan,
  parameters: ReadonlyMap<string, Variable>,
  gradients: Map<Variable, Tensor>,
  where: { dtype: DType; backend: Backend },
  options: SharedGradientSumOptions = {},
): Promise<void> {
  const bucketElements = options.bucketElements ?? 1 << 22;
  if (!(bucketElements >= 1))
    throw new Error(`shared gradient sums: bucketElements must be ≥ 1, got ${bucketElements}`);
  const { dtype, backend } = where;
  const gradientOf = (entry: SharedGradientEntry): Tensor | undefined => {
    const parameter = entry.own && parameters.get(entry.name);
    return parameter && gradients.get(parameter);
  };

  // Issue every bucket first (they are in flight together), then write the sums back.
  const buckets: Array<{ entries: SharedGradientEntry[]; reduced: Promise<Tensor> }> = [];
  let pending: Array<[SharedGradientEntry, Tensor]> = [];
  let pendingSize = 0;
  const issue = (): void => {
    const flat =
      pending.length === 1
        ? pending[0]![1]
        : concat(
            pending.map(([, t]) => t),
            0,
          );
    if (pending.length > 1) dispose(pending.map(([, t]) => t));
    buckets.push({ entries: pending.map(([e]) => e), reduced: comm.allReduce(flat).finally(() => flat.dispose()) });
    pending = [];
    pendingSize = 0;
  };
  for (const entry of plan.entries) {
    const contribution = contributionOf(entry, gradientOf(entry), dtype, backend);
    pending.push([entry, contribution]);
    pendingSize += contribution.size;
    if (pendingSize >= bucketElements) issue();
  }
  if (pending.length > 0) issue();

  for (const bucket of buckets) {
    const flat = await bucket.reduced;
    const sizes = bucket.entries.map((e) => e.sharedRows * e.rowSize);
    const parts = sizes.length === 1 ? [flat] : split(flat, sizes, 0);
    bucket.entries.forEach((entry, k) => {
      const gradient = gradientOf(entry);
      if (!gradient) return; // holds nothing of it (or no gradient reached it): contributed zeros
      const parameter = parameters.get(entry.name)!;
      gradients.set(parameter, writeBack(entry, gradient, parts[k]!));
      gradient.dispose();
    });
    dispose(parts.length === 1 ? [flat] : [flat, ...parts]);
  }
}

/** The rank's values of the shared rows, flat [sharedRows · rowSize] in `dtype` (zeros where it holds none). */
function contributionOf(
  entry: SharedGradientEntry,
  gradient: Tensor | undefined,
  dtype: DType,
  backend: Backend,
): Tensor {
  const { own, rowSize, sharedRows } = entry;
  if (!own || !gradient) return zeros([sharedRows * rowSize], dtype, backend);
  return tidy(() => {
    const g = gradient.dtype === dtype ? gradient : cast(gradient, dtype);
    if (own.pick === 'identity') return reshape(g, [g.size]);
    const padded = concat([reshape(g, [own.localRows, rowSize]), zeros([1, rowSize], dtype, backend)], 0);
    const picked = gather(padded, tensor(own.pick, [sharedRows], 'i32', backend));
    return reshape(picked, [sharedRows * rowSize]);
  });
}

/** The piece's gradient with its shared rows replaced by `summed` [sharedRows · rowSize]. */
function writeBack(entry: SharedGradientEntry, gradient: Tensor, summed: Tensor): Tensor {
  const own = entry.own!;
  return tidy(() => {
    const sums = summed.dtype === gradient.dtype ? summed : cast(summed, gradient.dtype);
    if (own.pick === 'identity') return reshape(sums, gradient.shape);
    const rows = concat(
      [reshape(gradient, [own.localRows, entry.rowSize]), reshape(sums, [entry.sharedRows, entry.rowSize])],
      0,
    );
    return reshape(gather(rows, tensor(own.back, [own.localRows], 'i32', gradient.backend)), gradient.shape);
  });
}

/**
 * Writing a decode step's rows into a preallocated cache in place (fused kernel `CacheWrite`): the static KV cache
 * of captured decode steps writes its new keys, values and document ids with it. Backends without the kernel get
 * the composition — a Where over every slot, then `overwrite` — which costs a pass over the whole cache per call.
 */
import { ENGINE } from '../../engine.js';
import { nativeSupport, recordDispatch } from '../../fused-dispatch.js';
import { overwrite } from '../../graph-capture.js';
import { formatShape } from '../../shape-rules.js';
import type { Tensor, Variable } from '../../tensor.js';
import { fill } from '../create.js';
import { add, equal, greaterEqual, lessEqual, where } from '../elementwise.js';
import { cast, sliceAxis } from '../layout.js';
import { cumsum } from '../reduce.js';
import { reshape } from '../reshape.js';

/**
 * cache[b, slots[b] + t] = values[b, t] for t < T, in place. cache [B, L, ...rest] (a variable: its buffer is
 * written), values [B, T, ...rest] of the cache's dtype, slots i32 [B] or [1] (one slot for all rows), read on the
 * device. A row whose window falls outside [0, L) is left unchanged.
 */
export function cacheWrite(cache: Variable, values: Tensor, slots: Tensor): void {
  const [b, l] = cache.shape as [number, number];
  const rest = cache.shape.slice(2);
  if (cache.rank < 2) throw new Error(`cacheWrite: the cache must be [B, L, ...], got ${formatShape(cache.shape)}`);
  const t = values.shape[1];
  if (
    values.rank !== cache.rank ||
    values.shape[0] !== b ||
    t === undefined ||
    values.shape.slice(2).join(',') !== rest.join(',')
  ) {
    throw new Error(
      `cacheWrite: values ${formatShape(values.shape)} do not fit the cache ${formatShape(cache.shape)} (want [${b}, T, ${rest.join(', ')}])`,
    );
  }
  if (values.dtype !== cache.dtype) throw new Error(`cacheWrite: values are ${values.dtype}, the cache ${cache.dtype}`);
  if (slots.dtype !== 'i32' || slots.rank !== 1 || (slots.shape[0] !== b && slots.shape[0] !== 1)) {
    throw new Error(`cacheWrite: slots must be i32 [${b}] or [1], got ${slots.dtype}${formatShape(slots.shape)}`);
  }
  if (values.backend !== cache.backend || slots.backend !== cache.backend) {
    throw new Error('cacheWrite: the cache, values and slots must live on one backend');
  }
  if (t === 0 || b === 0) return;
  const inputs = { cache, values, slots };
  ENGINE.noGrad(() => {
    if (nativeSupport(cache.backend, 'CacheWrite', inputs, {}) === true) {
      recordDispatch('CacheWrite', 'native');
      ENGINE.runKernel('CacheWrite', inputs, {});
      return;
    }
    recordDispatch('CacheWrite', 'fallback');
    ENGINE.tidy(() => overwrite(cache, cacheWriteComposition(cache, values, slots, l, t)));
  });
}

/**
 * The cache after the write, from primitives: for each t, a Where over every slot with the mask "slot l is row b's
 * slot + t". The slot numbers come from Fill and CumSum (no upload, so it can be captured too); rows whose window
 * leaves [0, L) get slot −T−1, which no t matches.
 */
function cacheWriteComposition(cache: Tensor, values: Tensor, slots: Tensor, l: number, t: number): Tensor {
  const backend = cache.backend;
  const s = slots.shape[0]!;
  const slotIds = reshape(cast(cumsum(fill([l], 1, 'f32', backend), 0, { exclusive: true }), 'i32'), [1, l]);
  const column = reshape(slots, [s, 1]);
  const never = fill([1, 1], -t - 1, 'i32', backend);
  const inside = where(greaterEqual(column, fill([1, 1], 0, 'i32', backend)), column, never);
  const first = where(lessEqual(inside, fill([1, 1], l - t, 'i32', backend)), inside, never); // [S, 1]
  const ones = [1, 1, ...cache.shape.slice(2).map(() => 1)];
  let out: Tensor = cache;
  for (let i = 0; i < t; i++) {
    const position = i === 0 ? first : add(first, fill([1, 1], i, 'i32', backend));
    const mask = reshape(equal(slotIds, position), [s, l, ...ones.slice(2)]); // [S, L, 1, …]
    const row = t === 1 ? values : sliceAxis(values, 1, i, 1);
    out = where(mask, row, out);
  }
  return out;
}

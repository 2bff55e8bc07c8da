/**
 * The document order of one epoch of one source: a Fisher–Yates shuffle driven by pure-rand's xoroshiro128+,
 * seeded from (loader seed, source name, epoch). Each epoch's order is a pure function of those three, so the
 * loader's state needs only the epoch and the position in it — no generator state, no stored permutation — and
 * a restored loader recomputes exactly the same order.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** FNV-1a over the UTF-16 code units of a key: a 32-bit seed for the generator. */
function seedOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export function epochOrder(
  seed: number,
  source: string,
  epoch: number,
  documents: number,
  shuffle: boolean,
): Uint32Array {
  const order = new Uint32Array(documents);
  for (let i = 0; i < documents; i++) order[i] = i;
  if (!shuffle) return order;
  const rng = xoroshiro128plus(seedOf(`${seed}\u0000${source}\u0000${epoch}`));
  for (let i = documents - 1; i > 0; i--) {
    const j = uniformInt(rng, 0, i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

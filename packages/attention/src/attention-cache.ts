/**
 * What attention asks of a cache: take this call's keys and values (and document ids) and give back every cached
 * position, ready for the attention kernel. `KVCache` concatenates (any number of positions per call);
 * `StaticKVCache` writes into fixed buffers (one position per call, for captured decode steps).
 */
import type { Tensor } from '@falcon-h1/core-tensor';

export interface CachedKeysValues {
  keys: Tensor;
  values: Tensor;
  keySeqIdx?: Tensor;
}

export interface AttentionCache {
  append(keys: Tensor, values: Tensor, seqIdx?: Tensor): CachedKeysValues;
}

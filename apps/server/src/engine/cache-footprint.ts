/**
 * What one sequence's cache costs, measured once on the loaded model rather than derived from the config: the
 * bytes every cached position adds (keys and values of every attention layer, plus the i32 document id the decode
 * batch keeps per key) and the fixed bytes of its Mamba2 state (conv and SSM states of every layer).
 */
import { BYTES_PER_ELEMENT, type Tensor, tensor, tidy } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';

export interface CacheFootprint {
  bytesPerToken: number;
  bytesPerSequence: number;
}

function bytesOf(t: Tensor | undefined): number {
  return t ? t.size * BYTES_PER_ELEMENT[t.dtype] : 0;
}

export function measureCacheFootprint(model: FalconH1ForCausalLM): CacheFootprint {
  const cache = model.createCache(1);
  const ids = tensor([model.config.bos_token_id ?? 0], [1, 1], 'i32', model.lm_head.weight.backend);
  try {
    tidy(() => {
      model.forward(ids, { cache, logitsToKeep: 1 });
    });
    let bytesPerToken = 0;
    let bytesPerSequence = 0;
    for (const layer of cache.layers) {
      bytesPerToken += bytesOf(layer.kv.keys) + bytesOf(layer.kv.values) + BYTES_PER_ELEMENT.i32;
      bytesPerSequence += bytesOf(layer.mamba?.convState) + bytesOf(layer.mamba?.ssmState);
    }
    return { bytesPerToken, bytesPerSequence };
  } finally {
    ids.dispose();
    cache.dispose();
  }
}

/**
 * @falcon-h1/attention — Falcon-H1's grouped-query attention (key multiplier, NeoX RoPE, document masks, KV cache),
 * written against @falcon-h1/core-tensor only.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/attention';

export type { AttentionCache, CachedKeysValues } from './attention-cache.js';
export type { FalconH1AttentionConfig } from './attention-config.js';
export {
  type AttentionDecodeConstants,
  attentionDecodeConstants,
  disposeAttentionDecodeConstants,
  packedQkvProjection,
} from './attention-decode-constants.js';
export { attentionParameterShapes, type ParameterProvider, type ParameterShape } from './attention-parameters.js';
export { documentPositions, type RowContinuation, sequentialPositions } from './document-positions.js';
export { type AttentionForwardOptions, FalconH1Attention, type StaticStepKernel } from './falcon-h1-attention.js';
export { KVCache } from './kv-cache.js';
export { StaticKVCache, type StaticKVCacheOptions, type StaticStepInputs } from './static-kv-cache.js';

/**
 * @falcon-h1/server: an OpenAI-compatible Falcon-H1 server (`falcon-h1 serve`) — /v1/models, /v1/completions and
 * /v1/chat/completions with server-sent-event streaming, continuous batching under a cache memory budget, OpenAI-
 * style validation errors, /health and Prometheus /metrics.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/server';

export { assembleBatchCache, type CacheRowSource } from './engine/batch-cache.js';
export { type CacheFootprint, measureCacheFootprint } from './engine/cache-footprint.js';
export { CachePool } from './engine/cache-pool.js';
export { Sampler, type SamplingParams } from './engine/sampler.js';
export {
  QueueFullError,
  RequestTooLargeError,
  Scheduler,
  type SchedulerObserver,
  type SchedulerOptions,
} from './engine/scheduler.js';
export {
  Sequence,
  type SequenceFinish,
  type SequenceListener,
  type SequenceRequest,
} from './engine/sequence.js';
export { ApiError } from './http/api-error.js';
export { ServerMetrics } from './metrics.js';
export { type LoadServedModelOptions, loadServedModel, type ServedModel } from './served-model.js';
export { type RunningServer, type ServerOptions, startServer } from './server.js';
export { startBackendByName } from './start-backend.js';
export { IncrementalDecoder } from './text/incremental-decoder.js';
export { StopStringFilter } from './text/stop-strings.js';

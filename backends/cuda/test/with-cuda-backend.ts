/**
 * The frame of this package's GPU-only tests: a fresh CUDA backend made current, the fused-dispatch counters reset,
 * and the backend disposed afterwards whatever the test does (a test's tensors live on it).
 */
import { resetDispatchCounts, useBackend } from '@falcon-h1/core-tensor';
import { createCudaBackend } from '../src/base.js';

export function withCudaBackend(run: () => Promise<void>): () => Promise<void> {
  return async () => {
    const backend = createCudaBackend();
    useBackend(backend);
    try {
      resetDispatchCounts();
      await run();
    } finally {
      backend.dispose();
    }
  };
}

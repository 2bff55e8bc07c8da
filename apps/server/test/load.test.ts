/**
 * Load: 64 concurrent streaming clients (chat and text completions, greedy and sampled, several lengths) against
 * one server. Every stream must complete (finish_reason, then [DONE]), no response may be a 5xx, the admitted
 * caches stay within the budget throughout (what admission reserves, and the backend's live bytes measured between
 * steps), and afterwards every cache tensor is freed.
 */
import { memory } from '@falcon-h1/core-tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureCacheFootprint, type RunningServer, type ServedModel, startServer } from '../src/index.js';
import { loadFixtureModel } from './support/fixture-model.js';
import { postStream } from './support/sse-client.js';

let served: ServedModel;
let server: RunningServer;
const CLIENTS = 64;
const MAX_BATCH = 24;

beforeAll(async () => {
  ({ served } = await loadFixtureModel());
  // A budget that binds: room for about 10 of these requests at once (fewer than MAX_BATCH).
  const { bytesPerToken, bytesPerSequence } = measureCacheFootprint(served.model);
  const cacheBudgetBytes = 10 * (80 * bytesPerToken + bytesPerSequence);
  server = await startServer({
    served,
    port: 0,
    maxBatch: MAX_BATCH,
    prefillChunk: 64,
    maxQueue: CLIENTS,
    cacheBudgetBytes,
  });
});

afterAll(async () => {
  await server?.close();
  served?.model.dispose();
});

describe('load', () => {
  it(`serves ${CLIENTS} concurrent streaming clients completely`, { timeout: 120_000 }, async () => {
    const backend = served.model.lm_head.weight.backend;
    const tensorsBefore = memory().numTensors;
    const bytesBefore = backend.memory().bytes;
    const heapBefore = process.memoryUsage().heapUsed;
    let peakReserved = 0;
    let peakActive = 0;
    let peakBytes = 0;
    // Sampled between scheduler steps: the caches that live across steps, plus at most one step's logits.
    const sampler = setInterval(() => {
      peakReserved = Math.max(peakReserved, server.scheduler.reservedCacheBytes);
      peakActive = Math.max(peakActive, server.scheduler.activeCount);
      peakBytes = Math.max(peakBytes, backend.memory().bytes - bytesBefore);
    }, 2);
    const clients = Array.from({ length: CLIENTS }, (_, i) => {
      const common = {
        model: 'tiny-a',
        stream: true,
        max_tokens: 8 + (i % 5) * 6,
        temperature: i % 2 === 0 ? 0 : 0.9,
        seed: i,
      };
      return i % 3 === 0
        ? postStream(`${server.url}/v1/completions`, { ...common, prompt: `Client ${i} asks about the licence terms.` })
        : postStream(`${server.url}/v1/chat/completions`, {
            ...common,
            messages: [{ role: 'user', content: `Client ${i}: ${'what may I do? '.repeat(1 + (i % 4))}` }],
          });
    });
    const results = await Promise.all(clients);
    clearInterval(sampler);
    await server.scheduler.idle();

    for (const [i, res] of results.entries()) {
      expect(res.status, `client ${i}`).toBe(200);
      expect(res.events.at(-1), `client ${i}`).toBe('[DONE]');
      const chunks = res.events.slice(0, -1).map((e) => JSON.parse(e));
      expect(
        chunks.filter((c) => 'error' in c),
        `client ${i}`,
      ).toEqual([]);
      const finishes = chunks
        .flatMap((c) => c.choices.map((ch: { finish_reason: string | null }) => ch.finish_reason))
        .filter(Boolean);
      expect(finishes, `client ${i}`).toHaveLength(1);
      expect(['stop', 'length']).toContain(finishes[0]);
    }
    const budget = server.scheduler.pool.budgetBytes;
    expect(peakActive).toBeGreaterThan(1);
    expect(peakActive).toBeLessThan(MAX_BATCH); // the budget, not the batch bound, limited admission
    expect(peakReserved).toBeLessThanOrEqual(budget);
    const logitsBytes = MAX_BATCH * served.model.config.vocab_size * 4;
    expect(peakBytes).toBeGreaterThan(0);
    expect(peakBytes).toBeLessThanOrEqual(budget + logitsBytes);
    expect(server.scheduler.queueDepth).toBe(0);
    expect(server.scheduler.activeCount).toBe(0);
    expect(memory().numTensors).toBe(tensorsBefore);
    // Host memory: bounded by the requests, not accumulating (a generous bound; the texts are a few KB).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 2 ** 20);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).not.toMatch(/status="5\d\d"/);
  });
});

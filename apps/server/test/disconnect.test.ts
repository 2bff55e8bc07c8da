/**
 * A client that goes away cancels its sequences: the slot is freed at the next scheduler step, long before
 * max_tokens, for a streamed request (connection closed mid-stream) and a non-streamed one (closed while waiting).
 */
import { request } from 'node:http';
import { generate } from '@falcon-h1/hybrid-block';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, type ServedModel, startServer } from '../src/index.js';
import { loadFixtureModel } from './support/fixture-model.js';

let served: ServedModel;
let server: RunningServer;
const PROMPT = [5, 6, 7, 8, 9];
const MAX_TOKENS = 240;

beforeAll(async () => {
  ({ served } = await loadFixtureModel());
  server = await startServer({ served, port: 0 });
});

afterAll(async () => {
  await server?.close();
  served?.model.dispose();
});

/** Opens a request, waits for the first streamed bytes (or, not streamed, for the sequence to run), then destroys the socket. */
function openThenDrop(body: unknown, waitForData: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = request(
      `${server.url}/v1/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.once('data', () => {
          call.destroy();
          resolve();
        });
      },
    );
    call.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
    call.end(JSON.stringify(body));
    if (!waitForData) {
      // Non-streamed: nothing arrives before the end; drop once the sequence is running.
      const poll = setInterval(() => {
        if (server.scheduler.activeCount > 0) {
          clearInterval(poll);
          call.destroy();
          resolve();
        }
      }, 1);
    }
  });
}

/** The server's own count of generated tokens (its Prometheus counter). */
async function generatedTotal(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^falcon_h1_generated_tokens_total (\d+)$/m.exec(text)![1]);
}

describe('client disconnect', () => {
  it('precondition: the prompt runs the full length when nobody cancels', { timeout: 60_000 }, async () => {
    const alone = await generate(served.model, [PROMPT], { maxNewTokens: MAX_TOKENS, stopTokens: served.stopTokenIds });
    expect(alone.sequences[0]).toHaveLength(MAX_TOKENS);
  });

  it('cancels a streamed request whose client closed the connection', async () => {
    const before = await generatedTotal();
    await openThenDrop({ model: 'tiny-a', prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: 0, stream: true }, true);
    await server.scheduler.idle();
    const generated = (await generatedTotal()) - before;
    expect(server.scheduler.activeCount).toBe(0);
    expect(generated).toBeGreaterThan(0);
    expect(generated).toBeLessThan(MAX_TOKENS);
  });

  it('cancels a non-streamed request whose client closed the connection', async () => {
    const before = await generatedTotal();
    await openThenDrop({ model: 'tiny-a', prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: 0 }, false);
    await server.scheduler.idle();
    const generated = (await generatedTotal()) - before;
    expect(server.scheduler.activeCount).toBe(0);
    expect(generated).toBeLessThan(MAX_TOKENS);
  });
});

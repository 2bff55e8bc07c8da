/**
 * Fuzz: 10,000 malformed requests — random bytes, JSON that is not an object, deeply nested junk, huge numbers,
 * well-formed requests with exactly one field made invalid (wrong type, out of range, unknown model, prompts past
 * the context, bad stop lists), unknown routes, wrong methods and broken percent-encoding — must all get a 4xx with
 * an OpenAI error body. A good streaming request that runs meanwhile is unaffected, and afterwards the server still
 * answers correctly, with no tensor leaked.
 */
import { Agent, request } from 'node:http';
import { memory } from '@falcon-h1/core-tensor';
import { seededRandom } from '@falcon-h1/hybrid-block';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, type ServedModel, startServer } from '../src/index.js';
import { loadFixtureModel } from './support/fixture-model.js';
import { postStream } from './support/sse-client.js';

let served: ServedModel;
let server: RunningServer;
const MAX_BODY = 16 * 1024;

beforeAll(async () => {
  ({ served } = await loadFixtureModel());
  server = await startServer({ served, port: 0, maxBodyBytes: MAX_BODY });
});

afterAll(async () => {
  agent.destroy();
  await server?.close();
  served?.model.dispose();
});

const rng = seededRandom(2026);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)]!;
const int = (n: number) => Math.floor(rng.next() * n);

function junk(depth: number): unknown {
  const kind = int(depth > 6 ? 5 : 8);
  if (kind === 0) return int(2) ? -1e308 * 10 : 10 ** (int(40) * 10);
  if (kind === 1) return String.fromCharCode(...Array.from({ length: int(12) }, () => int(0xd7ff)));
  if (kind === 2) return pick([true, false, null]);
  if (kind === 3) return -int(1e9) / 7;
  if (kind === 4) return '';
  if (kind === 5) return Array.from({ length: int(4) }, () => junk(depth + 1));
  return Object.fromEntries(
    Array.from({ length: int(4) }, () => [pick(['model', 'prompt', 'messages', 'n', 'stop', 'x']), junk(depth + 1)]),
  );
}

/** Values that are invalid for each field, whatever else the request holds. */
const INVALID: Record<string, () => unknown> = {
  model: () => pick([7, 'gpt-4', '', ['tiny-a'], { id: 'tiny-a' }, true]),
  max_tokens: () => pick([0, -5, 1e300, 1.5, '7', [], {}, 10 ** 6, 257]),
  temperature: () => pick([-1, 2.5, 1e308, 'hot', [], {}, true]),
  top_p: () => pick([0, 1.5, -1, 'x', [0.5]]),
  top_k: () => pick([-2, 1.5, 'k', 1e12]),
  n: () => pick([0, 1000, 2.5, '2', -1]),
  stop: () => pick([5, [1], ['a', 'b', 'c', 'd', 'e'], [''], [{}], 'x'.repeat(300), { s: 'a' }]),
  seed: () => pick([1.5, 1e300, 's', [1]]),
  stream: () => pick(['yes', 1, {}, []]),
  presence_penalty: () => pick([5, -3, 'x', 1e200]),
  frequency_penalty: () => pick([2.01, -2.01, [], false]),
  logprobs: () => pick([5, true]),
  echo: () => true,
  stream_options: () => ({ include_usage: pick([1, 'yes']) }),
};

function badCompletion(): unknown {
  const body: Record<string, unknown> = { model: 'tiny-a', prompt: 'hi', max_tokens: 2, stream: int(2) === 1 };
  const r = int(4);
  if (r === 0)
    body.prompt = pick<unknown>([
      5,
      {},
      [],
      [[]],
      [-1],
      [1e9],
      [[1, 'a']],
      true,
      Array(400).fill(9),
      [junk(0), {}],
      null,
    ]);
  else {
    const field = pick(Object.keys(INVALID));
    body[field] = INVALID[field]!();
    if (field === 'stream_options') body.stream = true;
  }
  return body;
}

function badChat(): unknown {
  const body: Record<string, unknown> = { model: 'tiny-a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 };
  if (int(2) === 0) {
    body.messages = pick<unknown>([
      [],
      'hi',
      [{ role: 'wizard', content: 'x' }],
      [{ role: 'user' }],
      [{ role: 'user', content: 5 }],
      [{ role: 'user', content: [{ type: 'image_url' }] }],
      [{ role: 'user', content: 'x'.repeat(2000) }],
      [junk(0)],
      null,
    ]);
  } else {
    const field = pick(Object.keys(INVALID).filter((f) => f !== 'echo'));
    body[field] = INVALID[field]!();
    if (field === 'stream_options') body.stream = true;
  }
  return body;
}

function randomBytes(): Uint8Array {
  return Uint8Array.from({ length: 1 + int(200) }, () => int(256));
}

function malformed(i: number): { method?: string; path: string; body: string | Uint8Array } {
  const path = pick(['/v1/completions', '/v1/chat/completions']);
  if (i % 7 === 6) {
    // Unknown routes, wrong methods, broken percent-encoding.
    const junkPath = encodeURIComponent(String(junk(3)));
    return pick([
      { method: 'POST', path: `/v1/${junkPath}`, body: '{}' },
      { method: pick(['GET', 'PUT', 'DELETE', 'PATCH']), path, body: '' },
      { method: 'GET', path: `/v1/models/%${int(16).toString(16)}`, body: '' },
      { method: 'POST', path: '/v1/models', body: '{}' },
    ]);
  }
  switch (i % 6) {
    case 0:
      return { path, body: randomBytes() };
    case 1:
      return { path, body: JSON.stringify(pick<unknown>([5, 'text', null, [1, 2], true, junk(5)])) };
    case 2:
      // Deep nesting: a parser recursion limit must become a 400, not a crash.
      return { path, body: int(2) ? '['.repeat(5000 + int(5000)) : `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}` };
    case 3:
      return { path: '/v1/completions', body: JSON.stringify(badCompletion()) };
    case 4:
      return { path: '/v1/chat/completions', body: JSON.stringify(badChat()) };
    default:
      return int(50) === 0
        ? { path, body: 'x'.repeat(MAX_BODY + 1 + int(1000)) }
        : // Numbers JSON can write but no field accepts (JSON.parse reads 1e999 as Infinity).
          {
            path,
            body: `{"model": "tiny-a", "prompt": "a", "${pick(['max_tokens', 'temperature', 'n', 'seed', 'top_p', 'top_k', 'presence_penalty'])}": ${pick(['1e999', '-1e999', '123456789012345678901234567890'])}}`,
          };
  }
}

// node:http with keep-alive: fetch's own overhead would dominate the test's time.
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function send(req: {
  method?: string;
  path: string;
  body: string | Uint8Array;
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    const call = request(`${server.url}${req.path}`, { method: req.method ?? 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    call.on('error', reject);
    call.end(req.body);
  });
}

describe('fuzz', () => {
  it('answers 10,000 malformed requests with 4xx and keeps serving correctly', { timeout: 120_000 }, async () => {
    const good = { model: 'tiny-a', prompt: 'The licence grants', max_tokens: 24, temperature: 0, stream: true };
    const before = await postStream(`${server.url}/v1/completions`, good);
    await server.scheduler.idle();
    const tensors = memory().numTensors;

    const during = postStream(`${server.url}/v1/completions`, good);
    const statuses = new Map<number, number>();
    const TOTAL = 10_000;
    const CONCURRENCY = 16;
    let next = 0;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TOTAL) {
          const req = malformed(next++);
          const res = await send(req);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status < 400 || res.status >= 500)
            failures.push(`${res.status} ${req.path} ${String(req.body).slice(0, 200)}`);
          else if (!res.body.startsWith('{"error":{"message":'))
            failures.push(`no error body: ${res.body.slice(0, 200)}`);
        }
      }),
    );
    expect(failures.slice(0, 5)).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL);

    // The request that ran meanwhile, and one after, give the same stream as before.
    const text = (r: Awaited<typeof before>) =>
      r.events
        .slice(0, -1)
        .map((e) => JSON.parse(e).choices[0].text)
        .join('');
    expect(text(await during)).toBe(text(before));
    const after = await postStream(`${server.url}/v1/completions`, good);
    expect(after.events.at(-1)).toBe('[DONE]');
    expect(text(after)).toBe(text(before));
    await server.scheduler.idle();
    expect(memory().numTensors).toBe(tensors);
  });
});

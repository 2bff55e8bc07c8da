/**
 * The wire format with raw HTTP (fetch): SSE framing exactly as OpenAI's (data lines, [DONE], usage chunk),
 * /health, /metrics in Prometheus text, and every kind of bad request answered with an OpenAI error body naming
 * the field — while other requests are unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, type ServedModel, startServer } from '../src/index.js';
import { loadFixtureModel } from './support/fixture-model.js';
import { postJson, postStream } from './support/sse-client.js';

let served: ServedModel;
let server: RunningServer;

beforeAll(async () => {
  ({ served } = await loadFixtureModel());
  server = await startServer({ served, port: 0, maxBodyBytes: 64 * 1024 });
});

afterAll(async () => {
  await server?.close();
  served?.model.dispose();
});

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'tiny-a',
  messages: [{ role: 'user', content: 'Hello there' }],
  max_tokens: 6,
  temperature: 0,
  ...extra,
});

describe('raw HTTP', () => {
  it('streams chat chunks as OpenAI does', async () => {
    const res = await postStream(
      `${server.url}/v1/chat/completions`,
      chat({ stream: true, stream_options: { include_usage: true } }),
    );
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/event-stream/);
    expect(res.events.at(-1)).toBe('[DONE]');
    const chunks = res.events.slice(0, -1).map((e) => JSON.parse(e));
    for (const c of chunks) {
      expect(Object.keys(c).sort()).toEqual(['choices', 'created', 'id', 'model', 'object', 'usage']);
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.model).toBe('tiny-a');
      expect(c.id).toMatch(/^chatcmpl-/);
    }
    expect(chunks[0].choices[0]).toEqual({
      index: 0,
      delta: { role: 'assistant', content: '' },
      logprobs: null,
      finish_reason: null,
    });
    const withChoices = chunks.filter((c) => c.choices.length > 0);
    expect(withChoices.slice(0, -1).every((c) => c.choices[0].finish_reason === null && c.usage === null)).toBe(true);
    expect(['stop', 'length']).toContain(withChoices.at(-1).choices[0].finish_reason);
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.usage.total_tokens).toBe(usage.usage.prompt_tokens + usage.usage.completion_tokens);
  });

  it('streams text completions without a usage chunk unless asked', async () => {
    const res = await postStream(`${server.url}/v1/completions`, {
      model: 'tiny-a',
      prompt: [5, 6, 7, 8],
      max_tokens: 4,
      temperature: 0,
      stream: true,
    });
    expect(res.events.at(-1)).toBe('[DONE]');
    const chunks = res.events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.every((c) => c.object === 'text_completion' && !('usage' in c))).toBe(true);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
  });

  it('answers /health, /v1/models and /metrics', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: unknown[] };
    expect(models.data[0]).toMatchObject({ id: 'tiny-a', object: 'model', owned_by: 'falcon-h1' });
    await postJson(`${server.url}/v1/completions`, { model: 'tiny-a', prompt: 'abc', max_tokens: 3 });
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    for (const name of [
      'falcon_h1_requests_total',
      'falcon_h1_queue_depth',
      'falcon_h1_active_sequences',
      'falcon_h1_generation_tokens_per_second',
      'falcon_h1_time_to_first_token_seconds_bucket',
      'falcon_h1_inter_token_latency_seconds_count',
      'falcon_h1_generated_tokens_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/falcon_h1_requests_total\{endpoint="\/v1\/completions",status="200"\} [1-9]/);
  });

  const cases: Array<[string, string, unknown, number, string | null]> = [
    ['malformed JSON', '/v1/completions', '{"model": "tiny-a", "prompt": ', 400, null],
    ['a JSON array body', '/v1/completions', '[1, 2]', 400, 'body'],
    ['an empty body', '/v1/chat/completions', '', 400, null],
    ['no model', '/v1/completions', { prompt: 'x' }, 400, 'model'],
    ['a model of the wrong type', '/v1/completions', { model: 7, prompt: 'x' }, 400, 'model'],
    ['an unknown model', '/v1/completions', { model: 'gpt-4', prompt: 'x' }, 404, 'model'],
    ['no prompt', '/v1/completions', { model: 'tiny-a' }, 400, 'prompt'],
    ['a prompt of the wrong type', '/v1/completions', { model: 'tiny-a', prompt: { a: 1 } }, 400, 'prompt'],
    ['token ids outside the vocabulary', '/v1/completions', { model: 'tiny-a', prompt: [1, 99999] }, 400, 'prompt'],
    [
      'a prompt longer than the context',
      '/v1/completions',
      { model: 'tiny-a', prompt: Array(300).fill(7) },
      400,
      'prompt',
    ],
    [
      'max_tokens past the context',
      '/v1/completions',
      { model: 'tiny-a', prompt: 'x', max_tokens: 1000 },
      400,
      'max_tokens',
    ],
    ['max_tokens 0', '/v1/completions', { model: 'tiny-a', prompt: 'x', max_tokens: 0 }, 400, 'max_tokens'],
    ['max_tokens a string', '/v1/completions', { model: 'tiny-a', prompt: 'x', max_tokens: '5' }, 400, 'max_tokens'],
    ['a fractional n', '/v1/completions', { model: 'tiny-a', prompt: 'x', n: 1.5 }, 400, 'n'],
    ['top_p 0', '/v1/completions', { model: 'tiny-a', prompt: 'x', top_p: 0 }, 400, 'top_p'],
    ['a stop list of numbers', '/v1/completions', { model: 'tiny-a', prompt: 'x', stop: [1, 2] }, 400, 'stop'],
    [
      'too many stop strings',
      '/v1/completions',
      { model: 'tiny-a', prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] },
      400,
      'stop',
    ],
    ['an empty stop string', '/v1/completions', { model: 'tiny-a', prompt: 'x', stop: [''] }, 400, 'stop'],
    [
      'stream_options without stream',
      '/v1/completions',
      { model: 'tiny-a', prompt: 'x', stream_options: { include_usage: true } },
      400,
      'stream_options',
    ],
    ['messages not an array', '/v1/chat/completions', { model: 'tiny-a', messages: 'hi' }, 400, 'messages'],
    [
      'a message without role',
      '/v1/chat/completions',
      { model: 'tiny-a', messages: [{ content: 'hi' }] },
      400,
      'messages',
    ],
    [
      'image content',
      '/v1/chat/completions',
      { model: 'tiny-a', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
      400,
      'messages',
    ],
    ['logprobs', '/v1/chat/completions', { ...chat(), logprobs: true }, 400, 'logprobs'],
    [
      'tools',
      '/v1/chat/completions',
      { ...chat(), tools: [{ type: 'function', function: { name: 'f' } }] },
      400,
      'tools',
    ],
  ];
  it.each(cases)('refuses %s', async (_name, path, body, status, param) => {
    const res = await postJson(`${server.url}${path}`, body);
    expect(res.status).toBe(status);
    expect(Object.keys(res.json)).toEqual(['error']);
    expect(res.json.error).toMatchObject({ param });
    expect(typeof res.json.error.message).toBe('string');
    expect(typeof res.json.error.type).toBe('string');
    if (param && param !== 'body')
      expect(res.json.error.message).toContain(
        param === 'max_tokens' ? 'max_tokens' : param === 'prompt' ? 'prompt' : param,
      );
  });

  it('refuses a body over the limit with 413 and unknown routes with 404, wrong methods with 405', async () => {
    const big = await postJson(`${server.url}/v1/completions`, { model: 'tiny-a', prompt: 'x'.repeat(100 * 1024) });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('request_too_large');
    expect((await fetch(`${server.url}/v2/nothing`)).status).toBe(404);
    expect((await fetch(`${server.url}/v1/models/tiny-a`)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/models/other`)).status).toBe(404);
    expect((await fetch(`${server.url}/v1/models/%E0%A4%A`)).status).toBe(400);
    const wrong = await fetch(`${server.url}/v1/completions`);
    expect(wrong.status).toBe(405);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });
});

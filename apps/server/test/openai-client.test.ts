/**
 * The real server on 127.0.0.1 with the tiny-a fixture, talked to with the official `openai` npm client: model
 * list, chat and text completions, streamed and not, usage, stop strings, penalties against an uncached oracle,
 * errors as the SDK's APIError — and greedy tokens identical to hybrid-block's `generate` on the same prompt.
 */
import { tensor, tidy } from '@falcon-h1/core-tensor';
import { argMaxOf, generate } from '@falcon-h1/hybrid-block';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, type ServedModel, startServer } from '../src/index.js';
import { loadFixtureModel } from './support/fixture-model.js';

let served: ServedModel;
let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  ({ served } = await loadFixtureModel());
  server = await startServer({ served, port: 0 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  served?.model.dispose();
});

/** The greedy continuation hybrid-block's `generate` gives for `promptIds` (stopping at eos as the server does). */
async function generateGreedy(promptIds: number[], maxTokens: number): Promise<number[]> {
  const result = await generate(served.model, [promptIds], {
    maxNewTokens: maxTokens,
    stopTokens: served.stopTokenIds,
  });
  return result.sequences[0]!;
}

function decode(ids: number[]): string {
  return served.tokenizer.decode(ids, { skipSpecialTokens: true });
}

describe('openai client against falcon-h1 serve', () => {
  it('lists the served model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny-a']);
    const model = await client.models.retrieve('tiny-a');
    expect(model.object).toBe('model');
  });

  it('answers a text completion with the greedy tokens of generate()', async () => {
    const prompt = 'The licence grants you the right to';
    const promptIds = served.tokenizer.encodeIds(prompt);
    const expected = await generateGreedy(promptIds, 12);
    const completion = await client.completions.create({ model: 'tiny-a', prompt, max_tokens: 12, temperature: 0 });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.text).toBe(decode(expected));
    expect(completion.choices[0]!.finish_reason).toBe(
      expected.length === 12 && !served.stopTokenIds.includes(expected.at(-1)!) ? 'length' : 'stop',
    );
    expect(completion.usage).toEqual({
      prompt_tokens: promptIds.length,
      completion_tokens: expected.length,
      total_tokens: promptIds.length + expected.length,
    });
  });

  it('streams a chat completion whose text equals the non-streamed one and generate()', async () => {
    const messages = [
      { role: 'system' as const, content: 'You answer briefly.' },
      { role: 'user' as const, content: 'What does the licence permit?' },
    ];
    const promptIds = served.tokenizer.encodeIds(served.chatTemplate!.render(messages, { addGenerationPrompt: true }), {
      addSpecialTokens: false,
    });
    const expected = await generateGreedy(promptIds, 20);
    const whole = await client.chat.completions.create({ model: 'tiny-a', messages, max_tokens: 20, temperature: 0 });
    expect(whole.object).toBe('chat.completion');
    expect(whole.choices[0]!.message).toMatchObject({ role: 'assistant', content: decode(expected) });
    expect(whole.usage!.prompt_tokens).toBe(promptIds.length);
    expect(whole.usage!.completion_tokens).toBe(expected.length);

    const stream = await client.chat.completions.create({
      model: 'tiny-a',
      messages,
      max_completion_tokens: 20,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]!.id)).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(decode(expected));
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finishes).toHaveLength(1);
    expect(finishes[0]!.choices[0]!.finish_reason).toBe(whole.choices[0]!.finish_reason);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
  });

  it('streams text completions with n choices', async () => {
    const request = {
      model: 'tiny-a',
      prompt: 'Permission is hereby granted',
      max_tokens: 8,
      n: 3,
      temperature: 0.8,
      seed: 7,
    };
    const stream = await client.completions.create({ ...request, stream: true });
    const texts = ['', '', ''];
    const finishes: Array<string | null> = [null, null, null];
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.text;
        if (choice.finish_reason) finishes[choice.index] = choice.finish_reason;
      }
    }
    expect(finishes.every((f) => f === 'stop' || f === 'length')).toBe(true);
    // Each choice samples its own continuation.
    expect(new Set(texts).size).toBeGreaterThan(1);
    // Same seed, same request: the same sampled texts.
    const again = await client.completions.create(request);
    expect(again.choices.map((c) => c.text)).toEqual(texts);
  });

  it('applies presence and frequency penalties as OpenAI defines them', async () => {
    const promptIds = served.tokenizer.encodeIds('the the the licence licence');
    const maxTokens = 16;
    const [presence, frequency] = [0.7, 1.3];
    // Oracle: the full sequence through the model without any cache each step, then
    // logit[j] -= frequency · count[j] + presence · (count[j] > 0) over the generated tokens, then argmax.
    const ids = [...promptIds];
    const counts = new Map<number, number>();
    const oracle: number[] = [];
    for (let step = 0; step < maxTokens; step++) {
      const input = tensor(ids, [1, ids.length], 'i32');
      const logits = tidy(() => served.model.forward(input, { logitsToKeep: 1 }).logits);
      const scores = Float64Array.from((await logits.data()) as Float32Array);
      input.dispose();
      logits.dispose();
      for (const [id, count] of counts) scores[id] = scores[id]! - frequency * count - presence;
      const token = argMaxOf(scores);
      oracle.push(token);
      ids.push(token);
      counts.set(token, (counts.get(token) ?? 0) + 1);
      if (served.stopTokenIds.includes(token)) break;
    }
    const plain = await generateGreedy(promptIds, maxTokens);
    expect(oracle).not.toEqual(plain); // the penalties change this continuation
    const completion = await client.completions.create({
      model: 'tiny-a',
      prompt: promptIds,
      max_tokens: maxTokens,
      temperature: 0,
      presence_penalty: presence,
      frequency_penalty: frequency,
    });
    expect(completion.choices[0]!.text).toBe(decode(oracle));
    expect(completion.usage!.completion_tokens).toBe(oracle.length);
  });

  it('ends the text before a stop string', async () => {
    const prompt = 'The licence grants you the right to';
    const full = decode(await generateGreedy(served.tokenizer.encodeIds(prompt), 24));
    // A stop string taken from the middle of the greedy text: the answer must end right before it.
    const stop = full.slice(6, 9);
    expect(stop.length).toBe(3);
    const completion = await client.completions.create({
      model: 'tiny-a',
      prompt,
      max_tokens: 24,
      temperature: 0,
      stop: [stop],
    });
    expect(completion.choices[0]!.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const stream = await client.completions.create({
      model: 'tiny-a',
      prompt,
      max_tokens: 24,
      temperature: 0,
      stop,
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.text ?? '';
    expect(streamed).toBe(completion.choices[0]!.text);
  });

  it('reports bad requests as APIError with the field named', async () => {
    const unknown = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');

    const tooMany = await client.completions
      .create({ model: 'tiny-a', prompt: 'hello', max_tokens: 100_000 })
      .catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooMany as InstanceType<typeof OpenAI.APIError>).param).toBe('max_tokens');

    const temperature = await client.completions
      .create({ model: 'tiny-a', prompt: 'hello', temperature: 3 })
      .catch((e: unknown) => e);
    expect(temperature).toBeInstanceOf(OpenAI.BadRequestError);
    expect((temperature as InstanceType<typeof OpenAI.APIError>).param).toBe('temperature');
  });
});

/**
 * The fields /v1/completions and /v1/chat/completions share: sampling (temperature, top_p, top_k, penalties, seed),
 * n, stop, stream and stream_options, with OpenAI's ranges and defaults (temperature 1, top_p 1). max_tokens is
 * checked against the context once the prompt is tokenised (see `resolveMaxTokens`).
 */
import { randomInt } from 'node:crypto';
import type { SamplingParams } from '../engine/sampler.js';
import { invalidField } from '../http/api-error.js';
import { isObject, type JsonObject, optionalBoolean, optionalNumber, refuseUnsupported, tooMany } from './fields.js';

/** OpenAI's limits: at most 4 stop strings. */
export const MAX_STOP_STRINGS = 4;
export const MAX_STOP_LENGTH = 256;

export interface GenerationParams {
  sampling: SamplingParams;
  n: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  /** As asked (undefined: the route's default). */
  maxTokens: number | undefined;
}

function parseStop(body: JsonObject): string[] {
  const value = body.stop;
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list))
    throw invalidField('stop', "'stop' must be a string or an array of strings.", 'invalid_type');
  if (list.length > MAX_STOP_STRINGS) {
    throw tooMany('stop', list.length, MAX_STOP_STRINGS, 'strings');
  }
  list.forEach((s, i) => {
    if (typeof s !== 'string') throw invalidField('stop', `'stop[${i}]' must be a string.`, 'invalid_type');
    if (s.length === 0 || s.length > MAX_STOP_LENGTH) {
      throw invalidField('stop', `'stop[${i}]' must hold 1 to ${MAX_STOP_LENGTH} characters.`, 'invalid_value');
    }
  });
  return list as string[];
}

export function parseGenerationParams(
  body: JsonObject,
  limits: { maxN: number; maxTokensField: string },
): GenerationParams {
  const stream = optionalBoolean(body, 'stream') ?? false;
  const options = body.stream_options;
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (!stream) throw invalidField('stream_options', "'stream_options' is only allowed when 'stream' is true.");
    if (!isObject(options)) throw invalidField('stream_options', "'stream_options' must be an object.", 'invalid_type');
    const usage = options.include_usage;
    if (usage !== undefined && usage !== null && typeof usage !== 'boolean') {
      throw invalidField(
        'stream_options.include_usage',
        "'stream_options.include_usage' must be a boolean.",
        'invalid_type',
      );
    }
    includeUsage = usage === true;
  }
  const n = optionalNumber(body, 'n', { min: 1, max: limits.maxN, integer: true }) ?? 1;
  const bestOf = optionalNumber(body, 'best_of', { min: 1, max: limits.maxN, integer: true });
  if (bestOf !== undefined && bestOf !== n)
    throw invalidField('best_of', "'best_of' other than n is not supported by this server.");
  const logitBias = body.logit_bias;
  if (!(isObject(logitBias) && Object.keys(logitBias).length === 0)) refuseUnsupported(body, 'logit_bias', []);
  const topK = optionalNumber(body, 'top_k', { min: -1, max: 1_000_000, integer: true }) ?? 0;
  return {
    sampling: {
      temperature: optionalNumber(body, 'temperature', { min: 0, max: 2 }) ?? 1,
      topP: optionalNumber(body, 'top_p', { min: 0, max: 1, minExclusive: true }) ?? 1,
      topK: Math.max(0, topK),
      presencePenalty: optionalNumber(body, 'presence_penalty', { min: -2, max: 2 }) ?? 0,
      frequencyPenalty: optionalNumber(body, 'frequency_penalty', { min: -2, max: 2 }) ?? 0,
      seed:
        optionalNumber(body, 'seed', { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true }) ??
        randomInt(2 ** 31),
    },
    n,
    stop: parseStop(body),
    stream,
    includeUsage,
    maxTokens: optionalNumber(body, limits.maxTokensField, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
  };
}

/**
 * The new tokens a choice may generate: as asked, else `fallback`, and never past the context. A prompt that
 * fills the context, or an explicit max_tokens that does not fit after the prompt, is a 400.
 */
export function resolveMaxTokens(
  asked: number | undefined,
  fallback: number,
  promptTokens: number,
  context: number,
  fields: { prompt: string; maxTokens: string },
): number {
  const room = context - promptTokens;
  if (room < 1) {
    throw invalidField(
      fields.prompt,
      `This model's maximum context length is ${context} tokens, but the prompt has ${promptTokens} tokens (no room to generate).`,
      'context_length_exceeded',
    );
  }
  if (asked !== undefined && asked > room) {
    throw invalidField(
      fields.maxTokens,
      `'${fields.maxTokens}' is too large: the prompt has ${promptTokens} tokens and this model's maximum context length is ${context}, so at most ${room} new tokens fit; got ${asked}.`,
      'context_length_exceeded',
    );
  }
  return Math.min(asked ?? fallback, room);
}

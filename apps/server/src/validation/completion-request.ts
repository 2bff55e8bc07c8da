/**
 * POST /v1/completions: `prompt` is a string, an array of strings, an array of token ids or an array of such
 * arrays (OpenAI's four forms); each prompt gets `n` choices. echo, suffix and logprobs are refused (unsupported).
 */
import { invalidField } from '../http/api-error.js';
import { type JsonObject, refuseUnsupported, tooMany } from './fields.js';
import { type GenerationParams, parseGenerationParams } from './generation-params.js';

export type PromptInput = { text: string } | { ids: number[] };

export interface CompletionRequest {
  model: string;
  prompts: PromptInput[];
  params: GenerationParams;
}

/** OpenAI's default max_tokens for completions. */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

function isTokenArray(value: unknown[], vocab: number, where: string): value is number[] {
  if (value.length === 0 || typeof value[0] !== 'number') return false;
  value.forEach((id, i) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocab) {
      throw invalidField('prompt', `'${where}[${i}]' must be a token id in [0, ${vocab}).`, 'invalid_value');
    }
  });
  return true;
}

function parsePrompts(value: unknown, vocab: number, maxPrompts: number): PromptInput[] {
  if (value === undefined || value === null)
    throw invalidField('prompt', "'prompt' is required.", 'missing_required_parameter');
  if (typeof value === 'string') return [{ text: value }];
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidField(
      'prompt',
      "'prompt' must be a string, an array of strings or an array of token ids.",
      'invalid_type',
    );
  }
  if (isTokenArray(value, vocab, 'prompt')) return [{ ids: value }];
  if (value.length > maxPrompts) {
    throw tooMany('prompt', value.length, maxPrompts, 'prompts');
  }
  return value.map((item, i) => {
    if (typeof item === 'string') return { text: item };
    if (Array.isArray(item) && isTokenArray(item, vocab, `prompt[${i}]`)) return { ids: item };
    throw invalidField('prompt', `'prompt[${i}]' must be a string or a non-empty array of token ids.`, 'invalid_type');
  });
}

export function parseCompletionRequest(
  body: JsonObject,
  model: string,
  limits: { vocab: number; maxChoices: number },
): CompletionRequest {
  refuseUnsupported(body, 'echo');
  refuseUnsupported(body, 'suffix', ['']);
  refuseUnsupported(body, 'logprobs', []);
  const params = parseGenerationParams(body, { maxN: limits.maxChoices, maxTokensField: 'max_tokens' });
  const prompts = parsePrompts(body.prompt, limits.vocab, limits.maxChoices);
  if (prompts.length * params.n > limits.maxChoices) {
    throw invalidField(
      'n',
      `${prompts.length} prompts × n = ${params.n} is more than ${limits.maxChoices} choices.`,
      'invalid_value',
    );
  }
  return { model, prompts, params };
}

/**
 * POST /v1/chat/completions: `messages` (role + content: a string, or text parts, as OpenAI's content arrays) for
 * the model's chat template; `max_completion_tokens` (or the older `max_tokens`). Tools, logprobs and structured
 * response formats are refused (unsupported).
 */
import type { ChatMessage } from '@falcon-h1/tokenizer';
import { invalidField } from '../http/api-error.js';
import { isObject, type JsonObject, refuseUnsupported, tooMany } from './fields.js';
import { type GenerationParams, parseGenerationParams } from './generation-params.js';

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  params: GenerationParams;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function messageContent(value: unknown, where: string, role: string): string {
  if (typeof value === 'string') return value;
  if ((value === null || value === undefined) && role === 'assistant') return '';
  if (!Array.isArray(value))
    throw invalidField('messages', `'${where}.content' must be a string or an array of text parts.`, 'invalid_type');
  return value
    .map((part, i) => {
      if (!isObject(part) || part.type !== 'text' || typeof part.text !== 'string') {
        throw invalidField(
          'messages',
          `'${where}.content[${i}]' must be a text part {"type": "text", "text": "..."}.`,
          'invalid_value',
        );
      }
      return part.text;
    })
    .join('');
}

function parseMessages(value: unknown, maxMessages: number): ChatMessage[] {
  if (value === undefined || value === null)
    throw invalidField('messages', "'messages' is required.", 'missing_required_parameter');
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidField('messages', "'messages' must be a non-empty array of messages.", 'invalid_type');
  }
  if (value.length > maxMessages) {
    throw tooMany('messages', value.length, maxMessages, 'messages');
  }
  return value.map((message, i) => {
    const where = `messages[${i}]`;
    if (!isObject(message)) throw invalidField('messages', `'${where}' must be an object.`, 'invalid_type');
    const role = message.role;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw invalidField('messages', `'${where}.role' must be one of ${[...ROLES].join(', ')}.`, 'invalid_value');
    }
    const parsed: ChatMessage = { role, content: messageContent(message.content, where, role) };
    if (message.name !== undefined) {
      if (typeof message.name !== 'string')
        throw invalidField('messages', `'${where}.name' must be a string.`, 'invalid_type');
      parsed.name = message.name;
    }
    return parsed;
  });
}

export function parseChatRequest(
  body: JsonObject,
  model: string,
  limits: { maxChoices: number; maxMessages: number },
): ChatRequest {
  refuseUnsupported(body, 'logprobs');
  refuseUnsupported(body, 'top_logprobs', [0]);
  refuseUnsupported(body, 'tool_choice', ['none']);
  if (!(Array.isArray(body.tools) && body.tools.length === 0)) refuseUnsupported(body, 'tools', []);
  const format = body.response_format;
  if (!(isObject(format) && format.type === 'text')) refuseUnsupported(body, 'response_format', []);
  const maxTokensField =
    body.max_completion_tokens !== undefined && body.max_completion_tokens !== null
      ? 'max_completion_tokens'
      : 'max_tokens';
  const params = parseGenerationParams(body, { maxN: limits.maxChoices, maxTokensField });
  return { model, messages: parseMessages(body.messages, limits.maxMessages), params };
}

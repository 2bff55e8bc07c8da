/**
 * POST /v1/chat/completions: the messages rendered with the model's chat template (generation prompt added), then
 * encoded without adding special tokens again (the template writes them), as transformers and vLLM do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../http/api-error.js';
import { parseChatRequest } from '../validation/chat-request.js';
import type { JsonObject } from '../validation/fields.js';
import { resolveMaxTokens } from '../validation/generation-params.js';
import { requireServedModel } from '../validation/model-field.js';
import type { ChoiceSpec } from './generation-run.js';
import { type ResponseShape, respondWithGeneration } from './respond.js';
import type { RouteContext } from './route-context.js';

const CHAT_SHAPE: ResponseShape = {
  idPrefix: 'chatcmpl',
  object: 'chat.completion',
  chunkObject: 'chat.completion.chunk',
  openingChoice: (index) => ({ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }),
  chunkChoice: (index, text, finishReason) => ({
    index,
    delta: text === '' ? {} : { content: text },
    logprobs: null,
    finish_reason: finishReason,
  }),
  finalChoice: (index, text, finishReason) => ({
    index,
    message: { role: 'assistant', content: text, refusal: null },
    logprobs: null,
    finish_reason: finishReason,
  }),
};

export async function chatCompletions(ctx: RouteContext, body: JsonObject, req: IncomingMessage, res: ServerResponse) {
  const { served } = ctx;
  const model = requireServedModel(body, served.id);
  const request = parseChatRequest(body, model, {
    maxChoices: ctx.limits.maxChoices,
    maxMessages: ctx.limits.maxMessages,
  });
  if (!served.chatTemplate) {
    throw new ApiError(
      400,
      `The model '${served.id}' has no chat template (tokenizer_config.json chat_template); use /v1/completions.`,
    );
  }
  let text: string;
  try {
    text = served.chatTemplate.render(request.messages, { addGenerationPrompt: true });
  } catch (error) {
    throw ctx.invalid('messages', `The chat template could not render these messages: ${(error as Error).message}`);
  }
  const promptIds = ctx.encodeBounded(text, 'messages', false);
  const { params } = request;
  const maxTokens = resolveMaxTokens(params.maxTokens, served.contextLength, promptIds.length, served.contextLength, {
    prompt: 'messages',
    maxTokens:
      body.max_completion_tokens !== undefined && body.max_completion_tokens !== null
        ? 'max_completion_tokens'
        : 'max_tokens',
  });
  const choices: ChoiceSpec[] = Array.from({ length: params.n }, (_, index) => ({ index, promptIds, maxTokens }));
  return respondWithGeneration(req, res, {
    served,
    scheduler: ctx.scheduler,
    params,
    choices,
    promptTokens: promptIds.length,
    shape: CHAT_SHAPE,
  });
}

/** POST /v1/completions: text (or token-id) prompts, `n` choices each, as OpenAI's legacy completions API. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { COMPLETIONS_DEFAULT_MAX_TOKENS, parseCompletionRequest } from '../validation/completion-request.js';
import type { JsonObject } from '../validation/fields.js';
import { resolveMaxTokens } from '../validation/generation-params.js';
import { requireServedModel } from '../validation/model-field.js';
import type { ChoiceSpec } from './generation-run.js';
import { type ResponseShape, respondWithGeneration } from './respond.js';
import type { RouteContext } from './route-context.js';

const COMPLETION_SHAPE: ResponseShape = {
  idPrefix: 'cmpl',
  object: 'text_completion',
  chunkObject: 'text_completion',
  chunkChoice: (index, text, finishReason) => ({ index, text, logprobs: null, finish_reason: finishReason }),
  finalChoice: (index, text, finishReason) => ({ index, text, logprobs: null, finish_reason: finishReason }),
};

export async function completions(ctx: RouteContext, body: JsonObject, req: IncomingMessage, res: ServerResponse) {
  const { served } = ctx;
  const model = requireServedModel(body, served.id);
  const request = parseCompletionRequest(body, model, {
    vocab: served.model.config.vocab_size,
    maxChoices: ctx.limits.maxChoices,
  });
  const { params } = request;
  const choices: ChoiceSpec[] = [];
  let promptTokens = 0;
  request.prompts.forEach((prompt, p) => {
    const promptIds = 'ids' in prompt ? prompt.ids : ctx.encodeBounded(prompt.text, 'prompt', true);
    if (promptIds.length === 0) {
      throw ctx.invalid('prompt', `'prompt${request.prompts.length > 1 ? `[${p}]` : ''}' encodes to no tokens.`);
    }
    const maxTokens = resolveMaxTokens(
      params.maxTokens,
      COMPLETIONS_DEFAULT_MAX_TOKENS,
      promptIds.length,
      served.contextLength,
      {
        prompt: 'prompt',
        maxTokens: 'max_tokens',
      },
    );
    promptTokens += promptIds.length;
    for (let i = 0; i < params.n; i++) choices.push({ index: p * params.n + i, promptIds, maxTokens });
  });
  return respondWithGeneration(req, res, {
    served,
    scheduler: ctx.scheduler,
    params,
    choices,
    promptTokens,
    shape: COMPLETION_SHAPE,
  });
}

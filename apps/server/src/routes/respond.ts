/**
 * Answers a generation request, streamed or not, in the shape of its endpoint. Streaming sends OpenAI's chunks as
 * server-sent events: per choice an opening chunk where the endpoint has one (chat: the assistant role), text
 * chunks as text is released, a chunk with the finish_reason, then (stream_options.include_usage) a chunk with
 * empty choices and the usage, and `data: [DONE]`. A client that goes away cancels the run.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scheduler } from '../engine/scheduler.js';
import { ApiError, sendJson } from '../http/api-error.js';
import { SseStream } from '../http/sse.js';
import type { ServedModel } from '../served-model.js';
import type { GenerationParams } from '../validation/generation-params.js';
import { type ChoiceEvent, type ChoiceSpec, type FinishReason, GenerationRun } from './generation-run.js';

/** How an endpoint shapes its answers. */
export interface ResponseShape {
  idPrefix: string;
  object: string;
  chunkObject: string;
  /** The choice of a streamed chunk. */
  chunkChoice(index: number, text: string, finishReason: FinishReason | null): object;
  /** The chunk a streamed choice opens with, if any. */
  openingChoice?(index: number): object;
  /** The choice of the complete answer. */
  finalChoice(index: number, text: string, finishReason: FinishReason): object;
}

export interface GenerationAnswer {
  served: ServedModel;
  scheduler: Scheduler;
  params: GenerationParams;
  choices: ChoiceSpec[];
  promptTokens: number;
  shape: ResponseShape;
}

function usage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** Resolves with the HTTP status sent once the answer is complete (or the client gone). */
export async function respondWithGeneration(
  req: IncomingMessage,
  res: ServerResponse,
  answer: GenerationAnswer,
): Promise<number> {
  const { served, params, shape } = answer;
  const id = `${answer.shape.idPrefix}-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const header = { id, object: shape.chunkObject, created, model: served.id };
  const events: ChoiceEvent[] = [];
  let stream: SseStream | undefined;
  const onEvent = (event: ChoiceEvent) => {
    if (!stream) return events.push(event);
    stream.send({
      ...header,
      choices: [shape.chunkChoice(event.index, event.text, event.finishReason ?? null)],
      ...(params.includeUsage ? { usage: null } : {}),
    });
  };
  const run = new GenerationRun(answer.scheduler, served, answer.choices, params, onEvent);
  let finished = false;
  res.on('close', () => {
    if (!finished) run.cancel();
  });
  req.on('error', () => run.cancel());

  if (params.stream) {
    stream = new SseStream(res);
    if (shape.openingChoice) {
      for (const choice of answer.choices) {
        stream.send({
          ...header,
          choices: [shape.openingChoice(choice.index)],
          ...(params.includeUsage ? { usage: null } : {}),
        });
      }
    }
    try {
      const { completionTokens } = await run.done;
      if (params.includeUsage)
        stream.send({ ...header, choices: [], usage: usage(answer.promptTokens, completionTokens) });
      stream.done();
    } catch (error) {
      // Headers are sent: the error travels as a last event, as OpenAI reports mid-stream failures.
      stream.send(new ApiError(500, `generation failed: ${(error as Error).message}`, 'server_error').body);
      stream.done();
    } finally {
      finished = true;
    }
    return 200;
  }

  const { completionTokens } = await run.done.finally(() => {
    finished = true;
  });
  const texts = new Map<number, string>();
  const reasons = new Map<number, FinishReason>();
  for (const e of events) {
    texts.set(e.index, (texts.get(e.index) ?? '') + e.text);
    if (e.finishReason) reasons.set(e.index, e.finishReason);
  }
  if (res.destroyed) return 499;
  sendJson(res, 200, {
    id,
    object: shape.object,
    created,
    model: served.id,
    choices: answer.choices.map((c) =>
      shape.finalChoice(c.index, texts.get(c.index) ?? '', reasons.get(c.index) ?? 'stop'),
    ),
    usage: usage(answer.promptTokens, completionTokens),
  });
  return 200;
}

/** What every route receives: the served model, the scheduler, the limits, and prompt encoding with a bound. */
import type { Scheduler } from '../engine/scheduler.js';
import { type ApiError, invalidField } from '../http/api-error.js';
import type { ServedModel } from '../served-model.js';

export interface ServerLimits {
  /** Choices per request at most (n × prompts). */
  maxChoices: number;
  maxMessages: number;
  maxBodyBytes: number;
}

export class RouteContext {
  constructor(
    readonly served: ServedModel,
    readonly scheduler: Scheduler,
    readonly limits: ServerLimits,
  ) {}

  invalid(param: string, message: string): ApiError {
    return invalidField(param, message, 'invalid_value');
  }

  /** Token ids of a prompt text, refused (400) when they fill the context. The body size limit bounds the work. */
  encodeBounded(text: string, param: string, addSpecialTokens: boolean): number[] {
    const ids = this.served.tokenizer.encodeIds(text, { addSpecialTokens });
    if (ids.length >= this.served.contextLength) {
      throw invalidField(
        param,
        `This model's maximum context length is ${this.served.contextLength} tokens, but the ${param === 'messages' ? 'messages' : 'prompt'} encode to ${ids.length} tokens.`,
        'context_length_exceeded',
      );
    }
    return ids;
  }
}

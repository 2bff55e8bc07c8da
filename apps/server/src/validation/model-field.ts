/** The `model` field: required, and it must name the model this server serves (404 otherwise, as OpenAI). */
import { ApiError } from '../http/api-error.js';
import { type JsonObject, requireString } from './fields.js';

/** The 404 for a model this server does not serve. */
export function unknownModel(model: string, servedId: string): ApiError {
  return new ApiError(
    404,
    `The model '${model}' does not exist; this server serves '${servedId}'.`,
    'not_found_error',
    'model',
    'model_not_found',
  );
}

export function requireServedModel(body: JsonObject, servedId: string): string {
  const model = requireString(body, 'model', 512);
  if (model !== servedId) throw unknownModel(model, servedId);
  return model;
}

/** GET /v1/models and GET /v1/models/{id}: the one model this server serves, as OpenAI lists models. */
import type { ServedModel } from '../served-model.js';
import { unknownModel } from '../validation/model-field.js';

export function modelObject(served: ServedModel) {
  return {
    id: served.id,
    object: 'model',
    created: served.created,
    owned_by: 'falcon-h1',
    max_model_len: served.contextLength,
  };
}

export function listModels(served: ServedModel) {
  return { object: 'list', data: [modelObject(served)] };
}

export function retrieveModel(served: ServedModel, id: string) {
  if (id !== served.id) throw unknownModel(id, served.id);
  return modelObject(served);
}

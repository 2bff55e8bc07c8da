/**
 * The model a server serves, loaded from a Hugging Face model directory: config.json + safetensors
 * (@falcon-h1/hybrid-block), tokenizer.json, and tokenizer_config.json with its chat template
 * (@falcon-h1/tokenizer). A directory without a chat template still serves /v1/completions.
 */
import { basename, resolve } from 'node:path';
import type { Backend } from '@falcon-h1/core-tensor';
import { type ComputeDType, eosTokenIds, type FalconH1ForCausalLM, loadFalconH1 } from '@falcon-h1/hybrid-block';
import { ChatTemplate, type Tokenizer } from '@falcon-h1/tokenizer';
import { loadTokenizer, loadTokenizerConfig, resolveTokenizerFiles } from '@falcon-h1/tokenizer/node';

export interface ServedModel {
  /** The name clients pass as `model` (default: the directory's name). */
  id: string;
  model: FalconH1ForCausalLM;
  tokenizer: Tokenizer;
  /** undefined when tokenizer_config.json has no chat_template (/v1/chat/completions then answers 400). */
  chatTemplate: ChatTemplate | undefined;
  /** Prompt + generated tokens at most: max_position_embeddings (or the tokenizer's smaller model_max_length). */
  contextLength: number;
  /** Generation ends after one of these (the config's eos_token_id). */
  stopTokenIds: number[];
  /** Unix seconds the model was loaded (GET /v1/models `created`). */
  created: number;
}

export interface LoadServedModelOptions {
  backend: Backend;
  dtype?: ComputeDType;
  /** The model name clients use; default the directory's name. */
  id?: string;
}

export async function loadServedModel(dir: string, options: LoadServedModelOptions): Promise<ServedModel> {
  const { configJson } = await resolveTokenizerFiles(dir);
  const tokenizer = await loadTokenizer(dir);
  const tokenizerConfig = configJson ? await loadTokenizerConfig(configJson) : {};
  const model = await loadFalconH1(dir, { backend: options.backend, dtype: options.dtype ?? 'f32' });
  const vocab = model.config.vocab_size;
  if (tokenizer.getVocabSize() > vocab) {
    model.dispose();
    throw new Error(
      `${dir}: the tokenizer has ${tokenizer.getVocabSize()} tokens but the model's vocab_size is ${vocab}`,
    );
  }
  const chatTemplate =
    tokenizerConfig.chat_template === undefined ? undefined : ChatTemplate.fromTokenizerConfig(tokenizerConfig);
  const modelMax = tokenizerConfig.model_max_length;
  const contextLength =
    typeof modelMax === 'number' && modelMax > 0
      ? Math.min(modelMax, model.config.max_position_embeddings)
      : model.config.max_position_embeddings;
  return {
    id: options.id ?? basename(resolve(dir)),
    model,
    tokenizer,
    chatTemplate,
    contextLength,
    stopTokenIds: eosTokenIds(model.config),
    created: Math.floor(Date.now() / 1000),
  };
}

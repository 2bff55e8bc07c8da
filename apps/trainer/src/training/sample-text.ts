/**
 * A text sample from the model: the prompt (after the model's BOS, as every training document starts) continued by
 * hybrid-block's cached generation until EOS or `maxTokens`, decoded with the run's tokenizer.
 */
import { eosTokenIds, type FalconH1ForCausalLM, generate } from '@falcon-h1/hybrid-block';
import type { Tokenizer } from '@falcon-h1/tokenizer';
import type { TrainConfig } from '../config/train-config.js';

export type SampleSettings = NonNullable<TrainConfig['sample']>;

export async function sampleText(
  model: FalconH1ForCausalLM,
  tokenizer: Tokenizer,
  settings: SampleSettings,
  seed: number,
): Promise<string> {
  const bos = model.config.bos_token_id;
  const ids = tokenizer.encodeIds(settings.prompt, { addSpecialTokens: false });
  const prompt = bos === null ? ids : [bos, ...ids];
  const { sequences } = await generate(model, [prompt], {
    maxNewTokens: settings.maxTokens,
    temperature: settings.temperature,
    ...(settings.topK !== undefined ? { topK: settings.topK } : {}),
    stopTokens: eosTokenIds(model.config),
    seed,
  });
  return settings.prompt + tokenizer.decode(sequences[0]!, { skipSpecialTokens: true });
}

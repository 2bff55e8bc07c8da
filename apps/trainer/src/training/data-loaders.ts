/**
 * The run's data, through @falcon-h1/data: the training PackedLoader (mixture moving from start to end over the
 * run's steps, documents framed with the model's BOS/EOS ids), restored from a checkpoint's loader state on resume,
 * and the held-out batches of the evaluation loss — drawn once, the same every evaluation, and the same in a
 * resumed run (they depend on the config only).
 */
import {
  formatBadInput,
  type LoaderState,
  PackedLoader,
  type PackedLoaderOptions,
  type SourceSpec,
} from '@falcon-h1/data';
import { eosTokenIds, type FalconH1Config } from '@falcon-h1/hybrid-block';
import type { Tokenizer } from '@falcon-h1/tokenizer';
import type { SourceSection, TrainConfig } from '../config/train-config.js';
import type { Rows } from './packed-rows.js';

function sourceSpecs(sections: readonly SourceSection[]): SourceSpec[] {
  return sections.map((s) => ({ ...s }));
}

function loaderOptions(
  config: TrainConfig,
  model: FalconH1Config,
  tokenizer: Tokenizer,
  sources: readonly SourceSection[],
  onSkipped: (message: string) => void,
): PackedLoaderOptions {
  const { data } = config;
  const mixture = data.mixture && {
    start: data.mixture.start,
    end: data.mixture.end ?? data.mixture.start,
    steps: config.steps,
    shape: data.mixture.shape,
  };
  return {
    tokenizer,
    sources: sourceSpecs(sources),
    ...(mixture ? { mixture } : {}),
    seqLen: data.seqLen,
    seed: data.seed,
    onBadInput: data.onBadInput,
    ...(data.bos && model.bos_token_id !== null ? { bosId: model.bos_token_id } : {}),
    ...(data.eos ? { eosId: eosTokenIds(model)[0] } : {}),
    onBadInputSkipped: (bad) => onSkipped(`skipped bad input: ${formatBadInput(bad)}`),
  };
}

/** The training loader, fresh or continuing from a checkpoint's `state`. */
export async function trainingLoader(
  config: TrainConfig,
  model: FalconH1Config,
  tokenizer: Tokenizer,
  state: LoaderState | undefined,
  onSkipped: (message: string) => void,
): Promise<PackedLoader> {
  const options = loaderOptions(config, model, tokenizer, config.data.sources, onSkipped);
  return state === undefined ? PackedLoader.open(options) : PackedLoader.restore(options, state);
}

/** The evaluation batches (empty without an `eval` section). */
export async function heldOutBatches(
  config: TrainConfig,
  model: FalconH1Config,
  tokenizer: Tokenizer,
  onSkipped: (message: string) => void,
): Promise<Rows[]> {
  if (config.eval === undefined) return [];
  const rows = config.eval.rows ?? config.batch.microRows ?? config.batch.rows;
  const options = loaderOptions(
    { ...config, data: { ...config.data, mixture: undefined } },
    model,
    tokenizer,
    config.eval.sources,
    onSkipped,
  );
  const loader = await PackedLoader.open(options);
  try {
    const batches: Rows[] = [];
    for (let i = 0; i < config.eval.batches; i++) batches.push(await loader.next(rows, 0));
    return batches;
  } finally {
    await loader.close();
  }
}

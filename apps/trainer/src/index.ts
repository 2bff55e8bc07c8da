/**
 * @falcon-h1/trainer: `falcon-h1 train --config <file>`. From a config naming a size preset or a Hugging Face
 * config, a backend, data sources and their mixture, a μP table and a schedule, it trains Falcon-H1 with AdamW over
 * μP parameter groups (gradient clipping, accumulation, WSD schedule, batch-size ramp); shows a progress bar; writes
 * metrics.jsonl, loss-curve.svg and periodic held-out loss; saves Hugging Face checkpoints with optimizer, data and
 * random state, atomically; and resumes bit for bit. See README.md.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/trainer';

export {
  AUTO_ORDER,
  BACKEND_NAMES,
  type BackendChoice,
  type StartedBackend,
  startBackend,
} from './backend/start-backend.js';
export {
  commitDirectory,
  fsyncPath,
  removeStaleTemporaries,
  TEMPORARY_PREFIX,
  temporaryPathFor,
  writeFileAtomic,
  writeFileDurable,
} from './checkpoint/atomic-files.js';
export * from './checkpoint/run-checkpoint.js';
export { DEFAULT_CONFIG_PATH, TRAIN_USAGE, type TrainCommandIo, trainCommand } from './command/train-command.js';
export {
  checkDataParallel,
  dataParallelProblems,
  rankMicroRows,
  stepBatchSizes,
} from './config/data-parallel-check.js';
export {
  type LoadedTrainConfig,
  loadTrainConfig,
  TrainConfigError,
  validateTrainConfig,
} from './config/load-train-config.js';
export { SEMINAR_TABLE, type TrainConfig, trainConfigSchema } from './config/train-config.js';
export {
  DEFAULT_SPECIAL_TOKENS,
  DEFAULT_TOKENIZER_OPTIONS,
  HELD_OUT_EVERY,
  splitCorpus,
  trainDefaultTokenizer,
} from './default-run/default-assets.js';
export { lossCurveSvg, niceTicks } from './metrics/loss-curve-svg.js';
export { MetricsLog, type StepMetrics } from './metrics/metrics-log.js';
export { initialModel, orderedParameters, parameterGroups, resolveShape } from './model/build-model.js';
export {
  type JoinedGroup,
  joinProcessGroup,
  processGroupRequested,
} from './parallel/process-group.js';
export {
  formatBytes,
  formatDuration,
  ProgressLine,
  stderrOutput,
  type TrainerOutput,
} from './progress/progress-line.js';
export { type DataParallelStepOptions, dataParallelStep, rankPasses } from './training/data-parallel-step.js';
export { heldOutLoss } from './training/evaluate.js';
export { countedPairs, type Rows, sliceRows } from './training/packed-rows.js';
export { runTraining, type TrainRunOptions, type TrainRunResult } from './training/run-training.js';
export { sampleText } from './training/sample-text.js';
export { clipAndStep, type StepResult, trainStep } from './training/train-step.js';
export { TrainerRandom } from './training/trainer-random.js';
export { zero1DataParallelStep } from './training/zero1-step.js';

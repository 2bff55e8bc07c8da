/**
 * A training run from start (or from its newest checkpoint, with `resume`) to `steps`:
 *
 *   backend → tokenizer → model (fresh, μP-initialised, or the checkpoint's) → AdamW over μP groups (+ moments)
 *   → data loader (+ position) → held-out batches → for each step: batch (ramped size) → forward/backward per
 *   micro-batch → clip → AdamW at the WSD learning rate → metrics line → eval / sample / checkpoint when due
 *   → loss-curve.svg → a sample from the final checkpoint, loaded back from disk.
 *
 * Everything the next step depends on — parameters, moments, step, data position, random state — is in each
 * checkpoint, and nothing depends on the clock, so a run killed at any point and resumed writes the same
 * metrics as the run that was never stopped (only the timing fields differ).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdamW, useBackend } from '@falcon-h1/core-tensor';
import type { LoaderState, PackedLoader } from '@falcon-h1/data';
import { type FalconH1ForCausalLM, loadFalconH1 } from '@falcon-h1/hybrid-block';
import { rampedBatchSize, wsdLearningRate } from '@falcon-h1/mup';
import { Tokenizer } from '@falcon-h1/tokenizer';
import { startBackend } from '../backend/start-backend.js';
import { writeFileAtomic } from '../checkpoint/atomic-files.js';
import {
  checkpointsDir,
  listCheckpoints,
  pruneCheckpoints,
  readTrainerState,
  restoreOptimizer,
  saveCheckpoint,
  TRAINER_STATE_FORMAT,
  type TrainerState,
} from '../checkpoint/run-checkpoint.js';
import type { LoadedTrainConfig } from '../config/load-train-config.js';
import type { TrainConfig } from '../config/train-config.js';
import { lossCurveSvg } from '../metrics/loss-curve-svg.js';
import { MetricsLog, type StepMetrics } from '../metrics/metrics-log.js';
import { initialModel, loadMupTable, mupBase, parameterGroups, runModelConfig } from '../model/build-model.js';
import { ProgressLine, stderrOutput, type TrainerOutput } from '../progress/progress-line.js';
import { heldOutBatches, trainingLoader } from './data-loaders.js';
import { heldOutLoss } from './evaluate.js';
import { sampleText } from './sample-text.js';
import { trainStep } from './train-step.js';
import { TrainerRandom } from './trainer-random.js';

export interface TrainRunOptions {
  /** Continue from the newest checkpoint in the run directory (start fresh when there is none). */
  resume?: boolean;
  /** Where progress and messages go (default: standard error). */
  output?: TrainerOutput;
  /**
   * Stops the run early: the step in progress finishes, a checkpoint of it is saved (exactly resumable), and the
   * result says `interrupted` (the command aborts it on Ctrl-C).
   */
  signal?: AbortSignal;
}

export interface TrainRunResult {
  runDir: string;
  backend: string;
  /** The first step this invocation trained (1, or the resumed checkpoint's step + 1). */
  firstStep: number;
  /** The last step trained: config `steps`, or where an interrupted run stopped. */
  lastStep: number;
  /** The run was stopped by `signal` before its last step (and checkpointed where it stopped). */
  interrupted: boolean;
  /** Training loss of the first and last step in metrics.jsonl. */
  firstLoss: number;
  finalLoss: number;
  /** The last held-out loss, when evaluated. */
  finalEvalLoss?: number;
  /** The final checkpoint directory (a Hugging Face model directory). */
  checkpoint: string;
  metricsPath: string;
  lossCurvePath: string;
  /** The sample generated from the final checkpoint, when `sample` is configured. */
  sample?: string;
}

/** The batch size (rows) of a step, after the ramp, from the tokens trained so far. */
function rowsAt(config: TrainConfig, tokens: number): number {
  const { rows, ramp } = config.batch;
  if (ramp === undefined) return rows;
  return rampedBatchSize(tokens, {
    start: ramp.startRows,
    end: rows,
    increment: ramp.incrementRows,
    rampAmount: ramp.tokens,
  });
}

function learningRate(config: TrainConfig, step: number): number {
  const { warmupSteps, decaySteps, decay, startFactor, floorFactor } = config.schedule;
  return wsdLearningRate(step, config.optimizer.lr, {
    totalSteps: config.steps,
    warmupSteps,
    decaySteps,
    decay,
    startFactor,
    floorFactor,
  });
}

function loadTokenizer(path: string): Tokenizer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`tokenizer: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  return Tokenizer.fromJSON(text);
}

export async function runTraining(loaded: LoadedTrainConfig, options: TrainRunOptions = {}): Promise<TrainRunResult> {
  const { config } = loaded;
  const output = options.output ?? stderrOutput();
  const runDir = config.out;
  const started = await startBackend(config.backend);
  useBackend(started.backend);
  const skipped = started.skipped.length > 0 ? ` (passed over: ${started.skipped.join('; ')})` : '';
  output.line(`backend: ${started.name}${skipped}`);

  const tokenizer = loadTokenizer(config.tokenizer);
  const table = loadMupTable(config);
  const base = mupBase(config);
  mkdirSync(runDir, { recursive: true });
  if (existsSync(checkpointsDir(runDir))) pruneCheckpoints(runDir, Number.POSITIVE_INFINITY);
  const existing = listCheckpoints(runDir);
  if (!options.resume && existing.length > 0) {
    throw new Error(
      `${runDir} already holds checkpoints (newest: step ${existing.at(-1)!.step}); pass --resume to continue that run, or choose another 'out'`,
    );
  }
  const from = options.resume ? existing.at(-1) : undefined;
  if (options.resume && from === undefined) output.line(`no checkpoint in ${runDir}: starting from step 0`);
  const state: TrainerState | undefined = from && readTrainerState(from.dir);
  if (state && state.configText !== loaded.text) {
    output.line(`note: the config changed since the checkpoint of step ${state.step}; continuing with the new one`);
  }

  const model: FalconH1ForCausalLM = from
    ? await loadFalconH1(from.dir, { backend: started.backend, dtype: 'f32' })
    : initialModel(runModelConfig(config, table), base, config.model.seed, started.backend);
  const optimizer = new AdamW(parameterGroups(model, table, base), {
    lr: config.optimizer.lr,
    weightDecay: config.optimizer.weightDecay,
    betas: config.optimizer.betas,
    eps: config.optimizer.eps,
  });
  const warn = (message: string) => output.line(message);
  let loader: PackedLoader | undefined;
  try {
    const vocab = tokenizer.getVocabSize(true);
    if (vocab > model.config.vocab_size) {
      throw new Error(`the tokenizer has ${vocab} ids but the model's vocab_size is ${model.config.vocab_size}`);
    }
    loader = await trainingLoader(config, model.config, tokenizer, state?.data as LoaderState | undefined, warn);
    if (from) restoreOptimizer(from.dir, optimizer);
    const evalBatches = await heldOutBatches(config, model.config, tokenizer, warn);
    const random = state ? TrainerRandom.fromState(state.random) : TrainerRandom.fromSeed(config.seed);
    const metrics = new MetricsLog(join(runDir, 'metrics.jsonl'));
    const lossCurvePath = join(runDir, 'loss-curve.svg');
    if (state) metrics.truncateTo(state.step);
    else metrics.reset();
    writeFileAtomic(join(runDir, 'train-config.json'), loaded.text);

    const firstStep = (state?.step ?? 0) + 1;
    let tokens = state?.tokens ?? 0;
    let checkpoint = from?.dir;
    const progress = new ProgressLine(output, config.steps, config.log.every, firstStep - 1);
    if (firstStep === 1) {
      const count = [...model.parameters.values()].reduce((n, p) => n + p.size, 0);
      output.line(`training ${(count / 1e6).toFixed(2)}M parameters for ${config.steps} steps → ${runDir}`);
    } else {
      output.line(`resuming ${runDir} from step ${firstStep - 1}`);
    }
    const saveAt = async (step: number): Promise<string> => {
      metrics.sync();
      const dir = await saveCheckpoint(runDir, model, optimizer, {
        format: TRAINER_STATE_FORMAT,
        step,
        tokens,
        random: random.state,
        data: loader!.state(),
        configText: loaded.text,
      });
      pruneCheckpoints(runDir, config.checkpoint.keep);
      writeFileAtomic(lossCurvePath, lossCurveSvg(metrics.read()));
      output.line(`step ${step}: checkpoint ${dir}`);
      return dir;
    };
    let lastStep = firstStep - 1;
    const runStart = performance.now();
    for (let step = firstStep; step <= config.steps; step++) {
      const stepStart = performance.now();
      const rows = rowsAt(config, tokens);
      const batch = await loader.next(rows, step - 1);
      const lr = learningRate(config, step - 1);
      const microRows = Math.min(config.batch.microRows ?? rows, rows);
      const result = await trainStep(model, optimizer, batch, microRows, lr, config.optimizer.clipGradNorm);
      if (!result.applied) output.line(`step ${step}: the gradient norm is ${result.gradNorm}; update skipped`);
      tokens += rows * config.data.seqLen;
      const record: StepMetrics = {
        step,
        loss: result.loss,
        lr,
        grad_norm: result.gradNorm,
        tokens,
        tokens_per_s: (rows * config.data.seqLen) / ((performance.now() - stepStart) / 1000),
        elapsed_s: (performance.now() - runStart) / 1000,
      };
      const last = step === config.steps;
      if (config.eval && (step % config.eval.every === 0 || last)) {
        record.eval_loss = await heldOutLoss(model, evalBatches);
        output.line(`step ${step}: held-out loss ${record.eval_loss.toFixed(4)}`);
      }
      metrics.append(record);
      progress.update(record);
      if (config.sample?.every !== undefined && step % config.sample.every === 0) {
        const text = await sampleText(model, tokenizer, config.sample, random.nextSeed());
        output.line(`step ${step} sample: ${JSON.stringify(text)}`);
      }
      lastStep = step;
      const due = step % config.checkpoint.every === 0 || last;
      if (due) checkpoint = await saveAt(step);
      if (options.signal?.aborted && !last) {
        if (!due) checkpoint = await saveAt(step);
        break;
      }
    }
    const interrupted = lastStep < config.steps;
    for (const source of loader.report().sources) {
      const share = `${(source.tokenShare * 100).toFixed(1)}% of the tokens`;
      const skipped = source.badInputs.length > 0 ? `, ${source.badInputs.length} bad inputs skipped` : '';
      output.line(`data '${source.name}': ${share}, ${source.epochProgress.toFixed(2)} epochs${skipped}`);
    }

    output.end?.();
    const records = metrics.read();
    if (!existsSync(lossCurvePath)) writeFileAtomic(lossCurvePath, lossCurveSvg(records));
    const evals = records.filter((r) => r.eval_loss !== undefined);
    const result: TrainRunResult = {
      runDir,
      backend: started.name,
      firstStep,
      lastStep,
      interrupted,
      firstLoss: records[0]?.loss ?? Number.NaN,
      finalLoss: records.at(-1)?.loss ?? Number.NaN,
      ...(evals.length > 0 ? { finalEvalLoss: evals.at(-1)!.eval_loss! } : {}),
      checkpoint: checkpoint!,
      metricsPath: metrics.path,
      lossCurvePath,
    };
    if (config.sample && !interrupted) {
      // From the checkpoint as saved, so the sample also shows that the directory loads.
      const saved = await loadFalconH1(result.checkpoint, { backend: started.backend, dtype: 'f32' });
      try {
        result.sample = await sampleText(saved, tokenizer, config.sample, random.nextSeed());
      } finally {
        saved.dispose();
      }
    }
    return result;
  } finally {
    await loader?.close();
    optimizer.dispose();
    model.dispose();
  }
}

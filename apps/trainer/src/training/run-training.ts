/**
 * A training run from start (or from its newest checkpoint, with `resume`) to `steps`:
 *
 *   backend → tokenizer → model (fresh, μP-initialised, or the checkpoint's) → AdamW over μP groups (+ moments)
 *   → data loader (+ position) → held-out batches → for each step: batch (ramped size) → forward/backward per
 *   micro-batch → clip → AdamW at the WSD learning rate → metrics line → eval / sample / checkpoint when due
 *   → loss-curve.svg → a sample from the final checkpoint, loaded back from disk.
 *
 * Data parallelism: with a `comm` (or in a process group a launcher made: RANK/WORLD_SIZE in the environment),
 * every rank runs this same loop on the same global batches, trains on its share of each batch's rows
 * (data-parallel-step.ts) and applies the same update; rank 0 alone writes the run directory (metrics, loss curve,
 * checkpoints, samples, progress), and every rank restores from the same checkpoint on resume. With
 * `dataParallel.zero1` the optimizer state is sharded over the ranks (zero1-step.ts); a checkpoint gathers it whole,
 * in the replicated optimizer's file format, so either kind resumes from the other's checkpoints.
 *
 * Everything the next step depends on — parameters, moments, step, data position, random state — is in each
 * checkpoint, and nothing depends on the clock, so a run killed at any point and resumed writes the same
 * metrics as the run that was never stopped (only the timing fields differ).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdamW, dispose, tensor, useBackend } from '@falcon-h1/core-tensor';
import type { LoaderState, PackedLoader } from '@falcon-h1/data';
import { type FalconH1ForCausalLM, loadFalconH1 } from '@falcon-h1/hybrid-block';
import { rampedBatchSize, wsdLearningRate } from '@falcon-h1/mup';
import { type Communicator, Zero1AdamW } from '@falcon-h1/parallelism';
import { Tokenizer } from '@falcon-h1/tokenizer';
import { startBackend } from '../backend/start-backend.js';
import { writeFileAtomic } from '../checkpoint/atomic-files.js';
import {
  checkpointDir,
  checkpointsDir,
  listCheckpoints,
  pruneCheckpoints,
  readTrainerState,
  restoreOptimizer,
  type SavedRunCheckpoint,
  saveCheckpoint,
  TRAINER_STATE_FORMAT,
  type TrainerState,
} from '../checkpoint/run-checkpoint.js';
import { checkDataParallel, rankMicroRows } from '../config/data-parallel-check.js';
import type { LoadedTrainConfig } from '../config/load-train-config.js';
import type { TrainConfig } from '../config/train-config.js';
import { lossCurveSvg } from '../metrics/loss-curve-svg.js';
import { MetricsLog, type StepMetrics } from '../metrics/metrics-log.js';
import { initialModel, loadMupTable, mupBase, parameterGroups, runModelConfig } from '../model/build-model.js';
import { type JoinedGroup, joinProcessGroup, processGroupRequested } from '../parallel/process-group.js';
import { formatBytes, ProgressLine, stderrOutput, type TrainerOutput } from '../progress/progress-line.js';
import { heldOutBatches, trainingLoader } from './data-loaders.js';
import { dataParallelStep } from './data-parallel-step.js';
import { heldOutLoss } from './evaluate.js';
import { sampleText } from './sample-text.js';
import { trainStep } from './train-step.js';
import { TrainerRandom } from './trainer-random.js';
import { zero1DataParallelStep } from './zero1-step.js';

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
  /**
   * Train data-parallel over this communicator's ranks (tests: @falcon-h1/parallelism/threads' world). Without
   * it, a process-group environment (RANK/WORLD_SIZE from `falcon-h1 launch`) joins that group on the backend.
   */
  comm?: Communicator;
  /** The environment read for a process group (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
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
  /** Data-parallel ranks that trained (1 without a group); the files above were written by rank 0. */
  worldSize: number;
  rank: number;
  /**
   * Values of optimizer state this rank held at the end: both moments of every parameter, or under ZeRO-1 the
   * master copy and moments of its slices only (÷ WORLD_SIZE).
   */
  optimizerValues: number;
}

/** Every rank's verdict on stopping early, agreed (any rank's Ctrl-C stops all at the same step). */
async function anyRank(comm: Communicator, flag: boolean): Promise<boolean> {
  const mine = tensor([flag ? 1 : 0], [1], 'f32');
  const all = await comm.allReduce(mine, 'max');
  const [value] = await all.data();
  dispose([mine, all]);
  return Number(value) > 0;
}

const SILENT: TrainerOutput = { line: () => {} };

const secondsSince = (start: number): number => (performance.now() - start) / 1000;

/** "6.26 GB in 8.1 s (model 2.09 GB 2.9 s, optimizer 4.17 GB 4.9 s, fsync + rename 0.3 s; 0.77 GB/s)" */
function checkpointCost(saved: SavedRunCheckpoint, seconds: number): string {
  const total = saved.modelBytes + saved.optimizerBytes;
  return (
    `${formatBytes(total)} in ${seconds.toFixed(1)} s (model ${formatBytes(saved.modelBytes)} ` +
    `${saved.modelSeconds.toFixed(1)} s, optimizer ${formatBytes(saved.optimizerBytes)} ` +
    `${saved.optimizerSeconds.toFixed(1)} s, fsync + rename ${saved.commitSeconds.toFixed(1)} s; ` +
    `${(total / 1e9 / seconds).toFixed(2)} GB/s)`
  );
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
  const started = await startBackend(config.backend);
  useBackend(started.backend);
  const env = options.env ?? process.env;
  let group: JoinedGroup | undefined;
  if (options.comm === undefined && processGroupRequested(env)) group = await joinProcessGroup(started, env);
  try {
    return await runOnBackend(loaded, options, started, options.comm ?? group?.comm);
  } finally {
    group?.leave();
  }
}

async function runOnBackend(
  loaded: LoadedTrainConfig,
  options: TrainRunOptions,
  started: Awaited<ReturnType<typeof startBackend>>,
  comm: Communicator | undefined,
): Promise<TrainRunResult> {
  const { config } = loaded;
  const worldSize = comm?.worldSize ?? 1;
  const rank = comm?.rank ?? 0;
  if (comm) checkDataParallel(config, worldSize, loaded.file);
  // Rank 0 alone speaks and writes; the others train silently (their errors still end the run).
  const leader = rank === 0;
  const output = leader ? (options.output ?? stderrOutput()) : SILENT;
  const runDir = config.out;
  const skipped = started.skipped.length > 0 ? ` (passed over: ${started.skipped.join('; ')})` : '';
  output.line(`backend: ${started.name}${skipped}`);
  if (comm) output.line(`data parallel: ${worldSize} ranks, ${config.batch.rows / worldSize} rows each per step`);

  const tokenizer = loadTokenizer(config.tokenizer);
  const table = loadMupTable(config);
  const base = mupBase(config);
  if (leader) {
    mkdirSync(runDir, { recursive: true });
    if (existsSync(checkpointsDir(runDir))) pruneCheckpoints(runDir, Number.POSITIVE_INFINITY);
  }
  await comm?.barrier(); // the others list the checkpoints once rank 0 has cleaned up interrupted writes
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

  let phase = performance.now();
  const model: FalconH1ForCausalLM = from
    ? await loadFalconH1(from.dir, { backend: started.backend, dtype: 'f32' })
    : initialModel(runModelConfig(config, table), base, config.model.seed, started.backend);
  const modelSeconds = secondsSince(phase);
  const groups = parameterGroups(model, table, base);
  const adamOptions = {
    lr: config.optimizer.lr,
    weightDecay: config.optimizer.weightDecay,
    betas: config.optimizer.betas,
    eps: config.optimizer.eps,
  };
  // ZeRO-1 shards the optimizer over the group's ranks; one process keeps the replicated optimizer (ZeRO-1 over one
  // rank is the same thing). Both read and write the same checkpoint files.
  const zero1 = comm && config.dataParallel.zero1 ? new Zero1AdamW(comm, groups, adamOptions) : undefined;
  const replicated = zero1 ? undefined : new AdamW(groups, adamOptions);
  const optimizer: AdamW | Zero1AdamW = zero1 ?? replicated!;
  if (zero1) output.line(`ZeRO-1: AdamW's state sharded over the ${worldSize} ranks`);
  else if (config.dataParallel.zero1) output.line('note: dataParallel.zero1 has no effect in one process');
  const warn = (message: string) => output.line(message);
  let loader: PackedLoader | undefined;
  try {
    const vocab = tokenizer.getVocabSize(true);
    if (vocab > model.config.vocab_size) {
      throw new Error(`the tokenizer has ${vocab} ids but the model's vocab_size is ${model.config.vocab_size}`);
    }
    // A number of checkpointed layers counts this model's layers (a resumed checkpoint's, when resuming).
    const checkpointing = config.batch.gradientCheckpointing;
    const layers = model.model.layers.length;
    if (typeof checkpointing === 'number' && checkpointing > layers) {
      throw new Error(`batch.gradientCheckpointing: ${checkpointing} layers, but the model has ${layers}`);
    }
    model.model.gradientCheckpointing = checkpointing;
    loader = await trainingLoader(config, model.config, tokenizer, state?.data as LoaderState | undefined, warn);
    if (from) {
      phase = performance.now();
      await restoreOptimizer(from.dir, optimizer);
      output.line(
        `model and optimizer loaded from ${from.dir} in ${(modelSeconds + secondsSince(phase)).toFixed(1)} s`,
      );
    } else {
      output.line(`model initialised in ${modelSeconds.toFixed(1)} s`);
    }
    const evalBatches = await heldOutBatches(config, model.config, tokenizer, warn);
    const random = state ? TrainerRandom.fromState(state.random) : TrainerRandom.fromSeed(config.seed);
    const metrics = new MetricsLog(join(runDir, 'metrics.jsonl'));
    const lossCurvePath = join(runDir, 'loss-curve.svg');
    if (leader) {
      if (state) metrics.truncateTo(state.step);
      else metrics.reset();
      writeFileAtomic(join(runDir, 'train-config.json'), loaded.text);
    }
    const losses: number[] = []; // this invocation's, for the ranks that do not write metrics.jsonl

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
      const start = performance.now();
      // ZeRO-1's state is spread over the ranks: every rank takes part in gathering it whole, rank 0 writes it.
      const gathered = zero1 ? await zero1.exportState() : undefined;
      try {
        if (!leader) return checkpointDir(runDir, step); // rank 0 writes it
        metrics.sync();
        const saved = await saveCheckpoint(runDir, model, gathered ? { state: () => gathered } : replicated!, {
          format: TRAINER_STATE_FORMAT,
          step,
          tokens,
          random: random.state,
          data: loader!.state(),
          configText: loaded.text,
        });
        pruneCheckpoints(runDir, config.checkpoint.keep);
        writeFileAtomic(lossCurvePath, lossCurveSvg(metrics.read()));
        output.line(`step ${step}: checkpoint ${saved.dir}, ${checkpointCost(saved, secondsSince(start))}`);
        return saved.dir;
      } finally {
        if (gathered) dispose(gathered.moments.flatMap(({ m, v }) => [m, v]));
      }
    };
    let lastStep = firstStep - 1;
    const runStart = performance.now();
    for (let step = firstStep; step <= config.steps; step++) {
      const stepStart = performance.now();
      const rows = rowsAt(config, tokens);
      const batch = await loader.next(rows, step - 1);
      const lr = learningRate(config, step - 1);
      const clipNorm = config.optimizer.clipGradNorm;
      const parallel = {
        microRows: rankMicroRows(config, rows / worldSize),
        lr,
        clipNorm,
        bucketElements: config.dataParallel.bucketElements,
      };
      const result = !comm
        ? await trainStep(model, replicated!, batch, Math.min(config.batch.microRows ?? rows, rows), lr, clipNorm)
        : zero1
          ? await zero1DataParallelStep(comm, model, zero1, batch, parallel)
          : await dataParallelStep(comm, model, replicated!, batch, parallel);
      losses.push(result.loss);
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
      if (leader && config.eval && (step % config.eval.every === 0 || last)) {
        const start = performance.now();
        record.eval_loss = await heldOutLoss(model, evalBatches);
        const batches = `${evalBatches.length} batch${evalBatches.length === 1 ? '' : 'es'}`;
        const cost = `${batches} in ${secondsSince(start).toFixed(1)} s`;
        output.line(`step ${step}: held-out loss ${record.eval_loss.toFixed(4)} (${cost})`);
      }
      if (leader) metrics.append(record);
      progress.update(record);
      if (leader && config.sample?.every !== undefined && step % config.sample.every === 0) {
        const start = performance.now();
        const text = await sampleText(model, tokenizer, config.sample, random.nextSeed());
        output.line(`step ${step} sample (${secondsSince(start).toFixed(1)} s): ${JSON.stringify(text)}`);
      }
      lastStep = step;
      const due = step % config.checkpoint.every === 0 || last;
      if (due) checkpoint = await saveAt(step);
      const stop = comm && options.signal ? await anyRank(comm, options.signal.aborted) : options.signal?.aborted;
      if (stop && !last) {
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
    const records: StepMetrics[] = leader
      ? metrics.read()
      : losses.map((loss, i) => ({ step: firstStep + i, loss }) as StepMetrics);
    if (leader && !existsSync(lossCurvePath)) writeFileAtomic(lossCurvePath, lossCurveSvg(records));
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
      worldSize,
      rank,
      optimizerValues: zero1
        ? zero1.stateElements
        : replicated!.state().moments.reduce((n, { m, v }) => n + m.size + v.size, 0),
    };
    if (leader && config.sample && !interrupted) {
      // From the checkpoint as saved, so the sample also shows that the directory loads.
      const start = performance.now();
      const saved = await loadFalconH1(result.checkpoint, { backend: started.backend, dtype: 'f32' });
      const loadSeconds = secondsSince(start);
      try {
        const generateStart = performance.now();
        result.sample = await sampleText(saved, tokenizer, config.sample, random.nextSeed());
        const generateSeconds = secondsSince(generateStart);
        output.line(
          `final sample: checkpoint loaded in ${loadSeconds.toFixed(1)} s, ${config.sample.maxTokens} tokens at most generated in ${generateSeconds.toFixed(1)} s`,
        );
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

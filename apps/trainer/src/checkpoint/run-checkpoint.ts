/**
 * A training checkpoint: `checkpoints/step-000120/` in the run directory, holding
 *   config.json + model.safetensors   the model as a Hugging Face directory (f32: exact, and transformers loads it),
 *   optimizer.safetensors             AdamW's first and second moments, `<parameter>.exp_avg` / `.exp_avg_sq` (f32),
 *   trainer-state.json                step, tokens seen, the optimizer's step count, the data loader's position and
 *                                     the trainer's random state.
 * Everything the next step depends on is in it, stored exactly, so a run resumed from it continues bit for bit.
 * The directory is built under a temporary name and renamed when complete (atomic-files.ts): a directory named
 * `step-…` is always whole, and the newest one is the resume point.
 * Both safetensors files are streamed tensor by tensor (core-tensor's writeSafetensorsFile) and the moments read back
 * the same way, so a checkpoint costs readback and disk bandwidth only — 6.3 GB for the 0.5B preset in f32 — and
 * neither side ever holds a whole file (Node 20 reads at most 2 GiB at once, and the 0.5B moments are 4.2 GB).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AdamW,
  type AdamWState,
  openSafetensorsFile,
  type SafetensorsTensorSource,
  type Tensor,
  tensorFromStorage,
  toStorage,
  type Variable,
  writeSafetensorsFile,
} from '@falcon-h1/core-tensor';
import { type FalconH1ForCausalLM, saveFalconH1 } from '@falcon-h1/hybrid-block';
import { commitDirectory, removeStaleTemporaries, temporaryPathFor, writeFileDurable } from './atomic-files.js';

/** What trainer-state.json holds. */
export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  /** Optimizer steps completed. */
  step: number;
  /** Tokens trained on so far. */
  tokens: number;
  /** The trainer's random state (TrainerRandom). */
  random: number[];
  /** The data loader's state (its own JSON). */
  data: unknown;
  /** The training config text the run was started with. */
  configText: string;
}

export const TRAINER_STATE_FORMAT = 'falcon-h1-trainer-state/1';
const STEP_DIR = /^step-(\d+)$/;
const OPTIMIZER_FILE = 'optimizer.safetensors';
const STATE_FILE = 'trainer-state.json';

export function checkpointsDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

/** The directory of the checkpoint of `step` (`checkpoints/step-000120`). */
export function checkpointDir(runDir: string, step: number): string {
  return join(checkpointsDir(runDir), `step-${String(step).padStart(6, '0')}`);
}

/** A checkpoint written by saveCheckpoint, with what each part cost (for the progress line). */
export interface SavedRunCheckpoint {
  dir: string;
  /** Bytes of model.safetensors and optimizer.safetensors. */
  modelBytes: number;
  optimizerBytes: number;
  /** Seconds: the model files, the optimizer file, and fsync + rename of the whole directory. */
  modelSeconds: number;
  optimizerSeconds: number;
  commitSeconds: number;
  /** Of the files' time, seconds spent waiting for readback the writing did not hide (optimizer file). */
  readbackSeconds: number;
}

/**
 * What a checkpoint reads of the optimizer: its state in the replicated AdamW's layout, one entry per parameter.
 * AdamW is one; ZeRO-1's sharded optimizer gives it by `exportState()` (a collective), so both write the same file,
 * and either resumes from it at any world size.
 */
export type OptimizerStateSource = Pick<AdamW, 'state'>;

/** What restoring a checkpoint writes into: AdamW or ZeRO-1's `Zero1AdamW` (which keeps its ranks' slices). */
export type OptimizerStateTarget = Pick<AdamW, 'parameters' | 'loadState'>;

/** Writes the checkpoint of `state.step` atomically. */
export async function saveCheckpoint(
  runDir: string,
  model: FalconH1ForCausalLM,
  optimizer: OptimizerStateSource,
  state: TrainerState,
): Promise<SavedRunCheckpoint> {
  const parent = checkpointsDir(runDir);
  mkdirSync(parent, { recursive: true });
  const finalDir = checkpointDir(runDir, state.step);
  const temporary = temporaryPathFor(finalDir);
  const since = (start: number) => (performance.now() - start) / 1000;
  try {
    let start = performance.now();
    const { fileBytes: modelBytes } = await saveFalconH1(model, temporary, { dtype: 'f32' });
    const modelSeconds = since(start);
    start = performance.now();
    const written = await writeOptimizerFile(join(temporary, OPTIMIZER_FILE), optimizer);
    writeFileDurable(join(temporary, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`);
    const optimizerSeconds = since(start);
    start = performance.now();
    // A checkpoint of this step may exist from a run that was killed after writing it and resumed from an earlier
    // one: the new one replaces it (both hold the same numbers when the run is deterministic).
    if (existsSync(finalDir)) removeDirectory(finalDir);
    commitDirectory(temporary, finalDir); // fsyncs every file, then renames
    return {
      dir: finalDir,
      modelBytes,
      optimizerBytes: written.bytes,
      modelSeconds,
      optimizerSeconds,
      commitSeconds: since(start),
      readbackSeconds: written.fetchSeconds,
    };
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
}

/** optimizer.safetensors: both moments of every parameter, streamed as read back (no host copy of the file). */
function writeOptimizerFile(path: string, optimizer: OptimizerStateSource) {
  const record: Record<string, SafetensorsTensorSource> = {};
  const state: AdamWState = optimizer.state();
  for (const { name, m, v } of state.moments) {
    for (const [suffix, t] of [
      ['exp_avg', m],
      ['exp_avg_sq', v],
    ] as const) {
      const dtype = t.dtype === 'f64' ? 'f64' : 'f32';
      record[`${name}.${suffix}`] = {
        dtype,
        shape: [...t.shape],
        data: async () => {
          const values = await t.data();
          return values instanceof (dtype === 'f64' ? Float64Array : Float32Array)
            ? values
            : toStorage(values as ArrayLike<number>, dtype);
        },
      };
    }
  }
  return writeSafetensorsFile(path, record, { step: String(state.step) });
}

/** Renames a directory to a temporary name before deleting it, so no half-deleted `step-…` is ever seen. */
function removeDirectory(dir: string): void {
  const doomed = temporaryPathFor(dir);
  renameSync(dir, doomed);
  rmSync(doomed, { recursive: true, force: true });
}

/** The complete checkpoints of a run, oldest first. */
export function listCheckpoints(runDir: string): Array<{ step: number; dir: string }> {
  const parent = checkpointsDir(runDir);
  if (!existsSync(parent)) return [];
  return readdirSync(parent)
    .map((name) => ({ name, match: STEP_DIR.exec(name) }))
    .filter((e) => e.match !== null)
    .map((e) => ({ step: Number(e.match![1]), dir: join(parent, e.name) }))
    .sort((a, b) => a.step - b.step);
}

/** Deletes all but the newest `keep` checkpoints, and the leftovers of a killed write. */
export function pruneCheckpoints(runDir: string, keep: number): void {
  const all = listCheckpoints(runDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) removeDirectory(old.dir);
  if (existsSync(checkpointsDir(runDir))) removeStaleTemporaries(checkpointsDir(runDir));
}

export function readTrainerState(checkpointDir: string): TrainerState {
  const path = join(checkpointDir, STATE_FILE);
  const state = JSON.parse(readFileSync(path, 'utf8')) as TrainerState;
  if (state.format !== TRAINER_STATE_FORMAT) {
    throw new Error(`${path}: format '${String(state.format)}' is not ${TRAINER_STATE_FORMAT}`);
  }
  return state;
}

/** Loads the optimizer moments of a checkpoint into `optimizer` (on the parameters' backend), tensor by tensor. */
export async function restoreOptimizer(checkpointDir: string, optimizer: OptimizerStateTarget): Promise<void> {
  const path = join(checkpointDir, OPTIMIZER_FILE);
  const file = await openSafetensorsFile(path);
  const made: Tensor[] = [];
  try {
    const step = Number(file.metadata?.step);
    if (step === 0) {
      optimizer.loadState({ step, moments: [] });
      return;
    }
    const load = async (p: Variable, suffix: string): Promise<Tensor> => {
      const entry = file.tensors.get(`${p.name}.${suffix}`);
      if (entry === undefined) throw new Error(`${path}: no tensor '${p.name}.${suffix}'`);
      const t = tensorFromStorage(await entry.read(), entry.shape, entry.dtype, p.backend);
      made.push(t);
      return t;
    };
    const moments = [];
    for (const p of optimizer.parameters) {
      moments.push({ name: p.name, m: await load(p, 'exp_avg'), v: await load(p, 'exp_avg_sq') });
    }
    optimizer.loadState({ step, moments });
  } finally {
    for (const t of made) t.dispose();
    await file.close();
  }
}

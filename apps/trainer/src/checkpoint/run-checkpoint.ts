/**
 * A training checkpoint: `checkpoints/step-000120/` in the run directory, holding
 *   config.json + model.safetensors   the model as a Hugging Face directory (f32: exact, and transformers loads it),
 *   optimizer.safetensors             AdamW's first and second moments, `<parameter>.exp_avg` / `.exp_avg_sq` (f32),
 *   trainer-state.json                step, tokens seen, the optimizer's step count, the data loader's position and
 *                                     the trainer's random state.
 * Everything the next step depends on is in it, stored exactly, so a run resumed from it continues bit for bit.
 * The directory is built under a temporary name and renamed when complete (atomic-files.ts): a directory named
 * `step-…` is always whole, and the newest one is the resume point.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AdamW,
  parseSafetensors,
  serializeSafetensors,
  type Tensor,
  tensor,
  toStorage,
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

/** Writes the checkpoint of `state.step` atomically and returns its directory. */
export async function saveCheckpoint(
  runDir: string,
  model: FalconH1ForCausalLM,
  optimizer: AdamW,
  state: TrainerState,
): Promise<string> {
  const parent = checkpointsDir(runDir);
  mkdirSync(parent, { recursive: true });
  const finalDir = join(parent, `step-${String(state.step).padStart(6, '0')}`);
  const temporary = temporaryPathFor(finalDir);
  try {
    await saveFalconH1(model, temporary, { dtype: 'f32' });
    writeFileDurable(join(temporary, OPTIMIZER_FILE), await optimizerFile(optimizer));
    writeFileDurable(join(temporary, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`);
    // A checkpoint of this step may exist from a run that was killed after writing it and resumed from an earlier
    // one: the new one replaces it (both hold the same numbers when the run is deterministic).
    if (existsSync(finalDir)) removeDirectory(finalDir);
    commitDirectory(temporary, finalDir);
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
  return finalDir;
}

async function optimizerFile(optimizer: AdamW): Promise<Uint8Array> {
  const record: Record<string, { dtype: 'f32' | 'f64'; shape: number[]; data: ReturnType<typeof toStorage> }> = {};
  for (const { name, m, v } of optimizer.state().moments) {
    for (const [suffix, t] of [
      ['exp_avg', m],
      ['exp_avg_sq', v],
    ] as const) {
      const dtype = t.dtype === 'f64' ? 'f64' : 'f32';
      record[`${name}.${suffix}`] = {
        dtype,
        shape: [...t.shape],
        data: toStorage((await t.data()) as ArrayLike<number>, dtype),
      };
    }
  }
  return serializeSafetensors(record, { step: String(optimizer.stepCount) });
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

/** Loads the optimizer moments of a checkpoint into `optimizer` (on the parameters' backend). */
export function restoreOptimizer(checkpointDir: string, optimizer: AdamW): void {
  const path = join(checkpointDir, OPTIMIZER_FILE);
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const step = Number(file.metadata?.step);
  if (step === 0) {
    optimizer.loadState({ step, moments: [] });
    return;
  }
  const made: Tensor[] = [];
  try {
    const moments = optimizer.parameters.map((p) => {
      const load = (suffix: string): Tensor => {
        const entry = file.tensors.get(`${p.name}.${suffix}`);
        if (entry === undefined) throw new Error(`${path}: no tensor '${p.name}.${suffix}'`);
        const t = tensor(entry.storage() as Float32Array, entry.shape, entry.dtype, p.backend);
        made.push(t);
        return t;
      };
      return { name: p.name, m: load('exp_avg'), v: load('exp_avg_sq') };
    });
    optimizer.loadState({ step, moments });
  } finally {
    for (const t of made) t.dispose();
  }
}

/**
 * Loading a Hugging Face Falcon-H1 model directory as is: `config.json` and `model.safetensors` or the shards of
 * `model.safetensors.index.json`, weights in f32, bf16, f16 or f64 under their HF names. The weights are checked
 * (checkpointProblems) before anything is allocated, then converted to the compute dtype and uploaded one by one.
 * Node only (it reads files); `node:*` modules are imported lazily so the package stays browser-safe.
 */
import {
  type Backend,
  type DType,
  getBackend,
  loadSafetensorsFromDir,
  type SafetensorsEntry,
  storageToValues,
  type Tensor,
  tensor,
  tensorFromStorage,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import type { BlockLayout } from '../block-layout.js';
import { type FalconH1Config, parseFalconH1ConfigJson } from '../config/falcon-h1-config.js';
import { FalconH1ForCausalLM } from '../falcon-h1-for-causal-lm.js';
import { falconH1ParameterShapes } from '../model-parameters.js';
import { checkpointProblems } from './check-checkpoint.js';
import { CheckpointError } from './checkpoint-error.js';

export type ComputeDType = 'f32' | 'bf16' | 'f16' | 'f64';

export interface LoadOptions {
  /** The dtype the model computes in (its parameters are converted to it). Default f32, whatever the file holds. */
  dtype?: ComputeDType;
  /** Default: the current backend. */
  backend?: Backend;
  /** Run the weights under another layout (ablations); the checkpoint must then hold that layout's norms. */
  layout?: BlockLayout;
}

/** Reads and parses `<dir>/config.json`. */
export async function readFalconH1Config(dir: string): Promise<FalconH1Config> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CheckpointError(`cannot read '${path}': ${(error as Error).message}`);
  }
  return parseFalconH1ConfigJson(text, path);
}

/** A tensor of `dtype` holding the entry's values (no conversion when the file already stores that dtype). */
function entryAs(entry: SafetensorsEntry, dtype: DType, backend: Backend): Tensor {
  const storage = entry.storage();
  if (entry.dtype === dtype) return tensorFromStorage(storage.slice(), entry.shape, dtype, backend);
  // Through host values: 16-bit floats widen exactly to f32, then round once to the target dtype.
  return tensor(storageToValues(storage, entry.dtype) as ArrayLike<number>, entry.shape, dtype, backend);
}

export async function loadFalconH1(dir: string, options: LoadOptions = {}): Promise<FalconH1ForCausalLM> {
  let config = await readFalconH1Config(dir);
  if (options.layout) config = { ...config, block_layout: options.layout };
  const checkpoint = await loadSafetensorsFromDir(dir);
  const expected = falconH1ParameterShapes(config);
  const ignorable = new Set(config.tie_word_embeddings ? ['lm_head.weight'] : []);
  const problems = checkpointProblems(expected, checkpoint.tensors, ignorable);
  if (problems.length > 0) {
    throw new CheckpointError(
      `checkpoint '${dir}' does not match its config.json (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`,
    );
  }
  const dtype = options.dtype ?? 'f32';
  const backend = options.backend ?? getBackend();
  if (!backend.capabilities.dtypes.includes(dtype)) {
    throw new CheckpointError(`backend '${backend.name}' does not compute in ${dtype}`);
  }
  const parameters = new Map<string, Variable>();
  try {
    for (const { name } of expected) {
      const initial = entryAs(checkpoint.tensors.get(name)!, dtype, backend);
      parameters.set(name, variable(initial, { name }));
      initial.dispose();
    }
    return new FalconH1ForCausalLM(config, parameters);
  } catch (error) {
    for (const p of parameters.values()) p.dispose();
    throw error;
  }
}

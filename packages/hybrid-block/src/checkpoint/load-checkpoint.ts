/**
 * Loading a Hugging Face Falcon-H1 model directory as is: `config.json` and `model.safetensors` or the shards of
 * `model.safetensors.index.json`, weights in f32, bf16, f16 or f64 under their HF names. The weights are checked
 * (checkpointProblems) from the files' headers before anything is allocated, then read, converted to the compute
 * dtype and uploaded one by one (core-tensor's openSafetensorsDir: positioned reads, never a whole file), the next
 * one read while the current one is converted and uploaded. So any checkpoint loads — Node 20's readFile refuses
 * files over 2 GiB, and f32 shards reach 5 GB — and the host holds at most two tensors of it at once.
 * Node only (it reads files); `node:*` modules are imported lazily so the package stays browser-safe.
 */
import {
  type Backend,
  type DType,
  getBackend,
  openSafetensorsDir,
  type SafetensorsFileTensor,
  type StorageArray,
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

/** A tensor of `dtype` holding a file tensor's values: its storage as read when the file stores that dtype. */
function uploadAs(stored: SafetensorsFileTensor, storage: StorageArray, dtype: DType, backend: Backend): Tensor {
  // Each read is a fresh buffer, handed over as is (no copy here); once uploaded it is garbage.
  if (stored.dtype === dtype) return tensorFromStorage(storage, stored.shape, dtype, backend);
  // Through host values: 16-bit floats widen exactly to f32, then round once to the target dtype.
  return tensor(storageToValues(storage, stored.dtype) as ArrayLike<number>, stored.shape, dtype, backend);
}

export async function loadFalconH1(dir: string, options: LoadOptions = {}): Promise<FalconH1ForCausalLM> {
  let config = await readFalconH1Config(dir);
  if (options.layout) config = { ...config, block_layout: options.layout };
  const checkpoint = await openSafetensorsDir(dir);
  const parameters = new Map<string, Variable>();
  try {
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
    const stored = expected.map(({ name }) => checkpoint.tensors.get(name)!);
    const read = (i: number): Promise<StorageArray> | undefined => {
      if (i >= stored.length) return undefined;
      const pending = stored[i]!.read();
      pending.catch(() => {}); // awaited in turn; a failure before then must not go unhandled
      return pending;
    };
    let next = read(0);
    for (let i = 0; i < stored.length; i++) {
      const storage = await next!;
      next = read(i + 1);
      const initial = uploadAs(stored[i]!, storage, dtype, backend);
      parameters.set(stored[i]!.name, variable(initial, { name: stored[i]!.name }));
      initial.dispose();
    }
    return new FalconH1ForCausalLM(config, parameters);
  } catch (error) {
    for (const p of parameters.values()) p.dispose();
    throw error;
  } finally {
    await checkpoint.close();
  }
}

/**
 * Saving a Falcon-H1 model as a Hugging Face model directory transformers loads with `from_pretrained`:
 * `config.json` (with the weights' `dtype`), and `model.safetensors` or, above `maxShardBytes`, the shards
 * `model-0000i-of-0000N.safetensors` listed by `model.safetensors.index.json` (`metadata.total_size`,
 * `weight_map`). Tensors keep their HF names and shapes; each file carries `{"format": "pt"}` metadata, which
 * transformers requires. A tied head is not written (transformers ties it again on load). Node only.
 * Checked with transformers 5.17: `from_pretrained` loads a bf16 sharded and an f16 save of the fixtures, with every
 * tensor equal to torch's own rounding of the f32 weights; an f32 save is byte-identical to `save_file`'s.
 * Each shard is streamed (core-tensor's writeSafetensorsFile): parameter by parameter, the readback of the next
 * overlapping the write of the current, stored as read when the dtype is the model's (no per-element work), so
 * saving costs readback and disk bandwidth and holds at most two parameters on the host.
 */
import {
  type SafetensorsTensorSource,
  type StorageArray,
  type Tensor,
  toStorage,
  writeSafetensorsFile,
} from '@falcon-h1/core-tensor';
import { falconH1ConfigJsonText } from '../config/config-to-json.js';
import type { FalconH1ForCausalLM } from '../falcon-h1-for-causal-lm.js';
import { falconH1ParameterShapes } from '../model-parameters.js';
import type { ComputeDType } from './load-checkpoint.js';

export interface SaveOptions {
  /** Storage dtype of the weights; default: the model's dtype. */
  dtype?: ComputeDType;
  /** Largest shard in bytes (tensor data); default 5 GB. One tensor larger than this gets a shard of its own. */
  maxShardBytes?: number;
}

const BYTES: Record<ComputeDType, number> = { f64: 8, f32: 4, bf16: 2, f16: 2 };

export interface SavedCheckpoint {
  /** The files written, relative to the directory. */
  files: string[];
  /** Bytes of tensor data (the index's `total_size`). */
  totalBytes: number;
  /** Bytes of the safetensors files, headers included. */
  fileBytes: number;
}

/** A parameter's values in the storage form of `dtype`: as read when they already are (f32, f64), else converted. */
async function storedAs(parameter: Tensor, dtype: ComputeDType): Promise<StorageArray> {
  const values = await parameter.data();
  if (dtype === 'f32' && values instanceof Float32Array) return values;
  if (dtype === 'f64' && values instanceof Float64Array) return values;
  return toStorage(values as ArrayLike<number>, dtype);
}

export async function saveFalconH1(
  model: FalconH1ForCausalLM,
  dir: string,
  options: SaveOptions = {},
): Promise<SavedCheckpoint> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dtype = options.dtype ?? (model.dtype as ComputeDType);
  if (!(dtype in BYTES)) throw new Error(`saveFalconH1: cannot store weights as ${dtype}`);
  const maxShardBytes = options.maxShardBytes ?? 5e9;

  // Shards in parameter order, each as full as the limit allows.
  const shards: Array<{ names: string[]; bytes: number }> = [];
  let totalBytes = 0;
  for (const { name, shape } of falconH1ParameterShapes(model.config)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    totalBytes += bytes;
    const last = shards[shards.length - 1];
    if (last && last.bytes + bytes <= maxShardBytes) {
      last.names.push(name);
      last.bytes += bytes;
    } else {
      shards.push({ names: [name], bytes });
    }
  }

  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const weightMap: Record<string, string> = {};
  let fileBytes = 0;
  const count = String(shards.length).padStart(5, '0');
  for (let i = 0; i < shards.length; i++) {
    const file =
      shards.length === 1 ? 'model.safetensors' : `model-${String(i + 1).padStart(5, '0')}-of-${count}.safetensors`;
    const record: Record<string, SafetensorsTensorSource> = {};
    for (const name of shards[i]!.names) {
      const parameter = model.parameters.get(name)!;
      record[name] = { dtype, shape: parameter.shape, data: () => storedAs(parameter, dtype) };
      weightMap[name] = file;
    }
    fileBytes += (await writeSafetensorsFile(join(dir, file), record, { format: 'pt' })).bytes;
    files.push(file);
  }
  if (shards.length > 1) {
    const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const index = { metadata: { total_size: totalBytes }, weight_map: sortedMap };
    await writeFile(join(dir, 'model.safetensors.index.json'), `${JSON.stringify(index, null, 2)}\n`);
    files.push('model.safetensors.index.json');
  }
  await writeFile(join(dir, 'config.json'), falconH1ConfigJsonText(model.config, dtype));
  files.push('config.json');
  return { files, totalBytes, fileBytes };
}

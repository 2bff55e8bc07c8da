/**
 * A golden fixture folder (format: tests/fixtures/README.md): a Hugging Face model directory plus
 * `golden.safetensors` with what transformers computed for it in float64 — `input_ids`, `logits`,
 * `hidden_states.K`, `loss`, `generate.prompt_len` and `generate.output_ids`; or, for a packed fixture, `input_ids`,
 * `seq_idx` and the `logits` each document gets alone; `golden.grads.safetensors`, where present, the gradient of the
 * loss with respect to every parameter.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseSafetensors, storageToValues } from '@falcon-h1/core-tensor';

export interface GoldenTensor {
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

export interface GoldenFixture {
  /** The folder's name, e.g. 'tiny-a'. */
  readonly name: string;
  readonly dir: string;
  readonly inputIds: GoldenTensor;
  readonly logits: GoldenTensor;
  /** hidden_states.0 … hidden_states.L, in order (absent in packed fixtures). */
  readonly hiddenStates: GoldenTensor[];
  readonly loss?: number;
  readonly generate?: { promptLength: number; outputIds: GoldenTensor };
  /** Document ids of a packed fixture. */
  readonly seqIdx?: GoldenTensor;
  /** `golden.grads.safetensors` when the folder has it: d loss / d parameter, as `grad.<parameter name>`. */
  readonly grads?: ReadonlyMap<string, GoldenTensor>;
}

async function readGradients(dir: string): Promise<Map<string, GoldenTensor> | undefined> {
  const path = join(dir, 'golden.grads.safetensors');
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const file = parseSafetensors(bytes, path);
  const out = new Map<string, GoldenTensor>();
  for (const [name, entry] of file.tensors) {
    out.set(name, { shape: entry.shape, values: storageToValues(entry.storage(), entry.dtype) as ArrayLike<number> });
  }
  return out;
}

export async function readGoldenFixture(dir: string): Promise<GoldenFixture> {
  const path = join(dir, 'golden.safetensors');
  const file = parseSafetensors(await readFile(path), path);
  const get = (name: string): GoldenTensor | undefined => {
    const entry = file.tensors.get(name);
    if (!entry) return undefined;
    return { shape: entry.shape, values: storageToValues(entry.storage(), entry.dtype) as ArrayLike<number> };
  };
  const need = (name: string): GoldenTensor => {
    const t = get(name);
    if (!t) throw new Error(`golden fixture '${path}' has no tensor '${name}'`);
    return t;
  };
  const hiddenStates: GoldenTensor[] = [];
  for (let k = 0; get(`hidden_states.${k}`); k++) hiddenStates.push(get(`hidden_states.${k}`)!);
  const loss = get('loss');
  const promptLength = get('generate.prompt_len');
  const outputIds = get('generate.output_ids');
  return {
    name: basename(resolve(dir)),
    dir,
    inputIds: need('input_ids'),
    logits: need('logits'),
    hiddenStates,
    loss: loss ? Number(loss.values[0]) : undefined,
    generate: promptLength && outputIds ? { promptLength: Number(promptLength.values[0]), outputIds } : undefined,
    seqIdx: get('seq_idx'),
    grads: await readGradients(dir),
  };
}

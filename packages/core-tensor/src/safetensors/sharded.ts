/**
 * Node-only loading of a checkpoint directory: a single `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`{"metadata": {...}, "weight_map": {tensorName: shardFileName}}`), either read
 * whole (loadSafetensorsFromDir) or opened for streaming, headers first (openSafetensorsDir).
 * `node:fs/promises` and `node:path` are imported lazily inside the functions, so importing this module (and the
 * package) stays browser-safe; only calling these helpers needs Node.
 */
import { SafetensorsError } from './format.js';
import type { SafetensorsEntry } from './read.js';
import { parseSafetensors } from './read.js';
import { openSafetensorsFile, type SafetensorsFileReader, type SafetensorsFileTensor } from './read-file.js';

export const SAFETENSORS_SINGLE_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

export interface SafetensorsCheckpoint {
  /** Every tensor of the checkpoint: shards in `files` order, each in data-section order. */
  tensors: Map<string, SafetensorsEntry>;
  /** The safetensors files read (joined with the directory), in shard-name order. */
  files: string[];
  /** `__metadata__` of the single file, or of the first shard. */
  metadata: Record<string, string> | undefined;
  /** The index's `metadata` object (e.g. `total_size`), for a sharded checkpoint; not validated. */
  indexMetadata: Record<string, unknown> | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNotFound(error: unknown): boolean {
  return isPlainObject(error) && error['code'] === 'ENOENT';
}

/** A shard reference must be a plain file name in the checkpoint directory (no paths, no '..'). */
function isPlainFileName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\]/.test(name) && !name.includes('\0');
}

/** The shards an index lists, checked: names, existence, and the tensors the weight map puts in each. */
interface IndexPlan {
  indexMetadata: Record<string, unknown> | undefined;
  weightMap: Record<string, unknown>;
  /** Shard file names, sorted, and their paths. */
  shards: string[];
  files: string[];
  /** Shard file → the tensor names the weight map puts in it. */
  expected: Map<string, Set<string>>;
  fail: (message: string) => never;
}

async function planIndex(indexJsonText: string, dir: string): Promise<IndexPlan> {
  const { stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const indexPath = join(dir, SAFETENSORS_INDEX_FILE);
  const fail = (message: string): never => {
    throw new SafetensorsError(`safetensors index '${indexPath}': ${message}`);
  };

  let index: unknown;
  try {
    index = JSON.parse(indexJsonText);
  } catch (error) {
    fail(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isPlainObject(index)) return fail('must be a JSON object');
  const rawMetadata = index['metadata'];
  if (rawMetadata !== undefined && rawMetadata !== null && !isPlainObject(rawMetadata)) {
    fail(`'metadata' must be an object`);
  }
  const indexMetadata = isPlainObject(rawMetadata) ? rawMetadata : undefined;
  const weightMap = index['weight_map'];
  if (!isPlainObject(weightMap)) return fail(`'weight_map' must be an object of tensor name to shard file name`);

  const expected = new Map<string, Set<string>>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string') return fail(`weight_map entry for tensor '${tensor}' must be a file name string`);
    if (!isPlainFileName(shard))
      fail(`shard '${shard}' of tensor '${tensor}' must be a file name inside the directory`);
    const names = expected.get(shard);
    if (names === undefined) expected.set(shard, new Set([tensor]));
    else names.add(tensor);
  }
  if (expected.size === 0) fail(`'weight_map' is empty`);

  const shards = [...expected.keys()].sort();
  const files = shards.map((shard) => join(dir, shard));
  const missing: string[] = [];
  for (let i = 0; i < shards.length; i++) {
    try {
      const info = await stat(files[i]!);
      if (!info.isFile()) missing.push(shards[i]!);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      missing.push(shards[i]!);
    }
  }
  if (missing.length > 0) fail(`shard file(s) not found in '${dir}': ${missing.join(', ')}`);
  return { indexMetadata, weightMap, shards, files, expected, fail };
}

/**
 * Reads every shard of `plan` with `readShard` (whole, or its header only) and merges their tensors, checking that
 * every tensor of the weight map is in the shard it names and that no tensor is in two shards or in a shard
 * without being listed for it.
 */
async function mergeShards<T>(
  plan: IndexPlan,
  readShard: (path: string) => Promise<{ metadata: Record<string, string> | undefined; tensors: Map<string, T> }>,
): Promise<{ tensors: Map<string, T>; metadata: Record<string, string> | undefined }> {
  const { shards, files, expected, weightMap, fail } = plan;
  const tensors = new Map<string, T>();
  const owner = new Map<string, string>();
  let metadata: Record<string, string> | undefined;
  for (let i = 0; i < shards.length; i++) {
    const shard = shards[i]!;
    const parsed = await readShard(files[i]!);
    if (i === 0) metadata = parsed.metadata;
    const listed = expected.get(shard)!;
    for (const [name, entry] of parsed.tensors) {
      const other = owner.get(name);
      if (other !== undefined) fail(`tensor '${name}' appears in two shards: '${other}' and '${shard}'`);
      owner.set(name, shard);
      if (!listed.has(name)) {
        const mapped = weightMap[name];
        fail(
          typeof mapped === 'string'
            ? `tensor '${name}' is in shard '${shard}' but the weight map puts it in '${mapped}'`
            : `tensor '${name}' is in shard '${shard}' but not in the weight map`,
        );
      }
      tensors.set(name, entry);
    }
    for (const name of listed) {
      if (!parsed.tensors.has(name)) fail(`tensor '${name}' is listed for shard '${shard}' but is not in it`);
    }
  }
  return { tensors, metadata };
}

/**
 * Reads the shards that an index (the text of `model.safetensors.index.json`) lists, from `dir`. Checks that
 * every shard exists, that every tensor of the weight map is in the shard it names, and that no tensor is in
 * two shards or in a shard without being listed for it.
 */
export async function readSafetensorsIndex(indexJsonText: string, dir: string): Promise<SafetensorsCheckpoint> {
  const { readFile } = await import('node:fs/promises');
  const plan = await planIndex(indexJsonText, dir);
  const { tensors, metadata } = await mergeShards(plan, async (path) => parseSafetensors(await readFile(path), path));
  return { tensors, files: plan.files, metadata, indexMetadata: plan.indexMetadata };
}

/**
 * The checkpoint of a directory as `single` makes it from `model.safetensors` if that exists (as transformers
 * prefers), otherwise as `indexed` makes it from the text of `model.safetensors.index.json`.
 */
async function checkpointInDir<C>(
  dir: string,
  single: (path: string) => Promise<C>,
  indexed: (indexJsonText: string, dir: string) => Promise<C>,
): Promise<C> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  try {
    return await single(join(dir, SAFETENSORS_SINGLE_FILE));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  let indexText: string;
  try {
    indexText = await readFile(join(dir, SAFETENSORS_INDEX_FILE), 'utf8');
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new SafetensorsError(
      `safetensors: no '${SAFETENSORS_SINGLE_FILE}' or '${SAFETENSORS_INDEX_FILE}' in directory '${dir}'`,
    );
  }
  return indexed(indexText, dir);
}

/**
 * Loads a checkpoint directory: `model.safetensors` if present (as transformers prefers), otherwise the shards
 * of `model.safetensors.index.json`.
 */
export async function loadSafetensorsFromDir(dir: string): Promise<SafetensorsCheckpoint> {
  const { readFile } = await import('node:fs/promises');
  const single = async (path: string): Promise<SafetensorsCheckpoint> => {
    const parsed = parseSafetensors(await readFile(path), path);
    return { tensors: parsed.tensors, files: [path], metadata: parsed.metadata, indexMetadata: undefined };
  };
  return checkpointInDir(dir, single, readSafetensorsIndex);
}

/** A checkpoint directory opened by `openSafetensorsDir`: every header read, tensor data read on demand. */
export interface SafetensorsCheckpointReader {
  /** Every tensor of the checkpoint: shards in `files` order, each in data-section order. */
  readonly tensors: Map<string, SafetensorsFileTensor>;
  readonly files: string[];
  readonly metadata: Record<string, string> | undefined;
  readonly indexMetadata: Record<string, unknown> | undefined;
  /** Closes every file. */
  close(): Promise<void>;
}

/**
 * The streaming form of `readSafetensorsIndex`: opens every shard (openSafetensorsFile: header only), with the same
 * checks and messages. On failure the shards opened so far are closed.
 */
export async function openSafetensorsIndex(indexJsonText: string, dir: string): Promise<SafetensorsCheckpointReader> {
  const plan = await planIndex(indexJsonText, dir);
  const readers: SafetensorsFileReader[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(readers.map((reader) => reader.close()));
  };
  try {
    const { tensors, metadata } = await mergeShards(plan, async (path) => {
      const reader = await openSafetensorsFile(path);
      readers.push(reader);
      return reader;
    });
    return { tensors, files: plan.files, metadata, indexMetadata: plan.indexMetadata, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The streaming form of `loadSafetensorsFromDir`, for checkpoints of any size: `model.safetensors` if present,
 * otherwise the shards of `model.safetensors.index.json`, each opened with openSafetensorsFile, so only headers are
 * read here and each tensor's bytes when asked for. Same checks and messages; the caller closes it.
 */
export async function openSafetensorsDir(dir: string): Promise<SafetensorsCheckpointReader> {
  const single = async (path: string): Promise<SafetensorsCheckpointReader> => {
    const { tensors, metadata, close } = await openSafetensorsFile(path);
    return { tensors, files: [path], metadata, indexMetadata: undefined, close };
  };
  return checkpointInDir(dir, single, openSafetensorsIndex);
}

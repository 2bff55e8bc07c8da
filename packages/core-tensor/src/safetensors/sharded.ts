/**
 * Node-only loading of a checkpoint directory: a single `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`{"metadata": {...}, "weight_map": {tensorName: shardFileName}}`).
 * `node:fs/promises` and `node:path` are imported lazily inside the functions, so importing this module (and the
 * package) stays browser-safe; only calling these helpers needs Node.
 */
import { SafetensorsError } from './format.js';
import type { SafetensorsEntry } from './read.js';
import { parseSafetensors } from './read.js';

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

/**
 * Reads the shards that an index (the text of `model.safetensors.index.json`) lists, from `dir`. Checks that
 * every shard exists, that every tensor of the weight map is in the shard it names, and that no tensor is in
 * two shards or in a shard without being listed for it.
 */
export async function readSafetensorsIndex(indexJsonText: string, dir: string): Promise<SafetensorsCheckpoint> {
  const { readFile, stat } = await import('node:fs/promises');
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

  // Shard file → the tensor names the weight map puts in it.
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

  const tensors = new Map<string, SafetensorsEntry>();
  const owner = new Map<string, string>();
  let metadata: Record<string, string> | undefined;
  for (let i = 0; i < shards.length; i++) {
    const shard = shards[i]!;
    const parsed = parseSafetensors(await readFile(files[i]!), files[i]);
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
  return { tensors, files, metadata, indexMetadata };
}

/**
 * Loads a checkpoint directory: `model.safetensors` if present (as transformers prefers), otherwise the shards
 * of `model.safetensors.index.json`.
 */
export async function loadSafetensorsFromDir(dir: string): Promise<SafetensorsCheckpoint> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const single = join(dir, SAFETENSORS_SINGLE_FILE);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(single);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (bytes !== undefined) {
    const parsed = parseSafetensors(bytes, single);
    return { tensors: parsed.tensors, files: [single], metadata: parsed.metadata, indexMetadata: undefined };
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
  return readSafetensorsIndex(indexText, dir);
}

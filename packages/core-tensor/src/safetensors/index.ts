/**
 * Public API of the safetensors module: dtype mapping, in-memory reader and writer, and the node-only
 * checkpoint-directory loader (which imports `node:fs/promises` lazily, so this barrel stays browser-safe).
 */

export type { SafetensorsDTypeName } from './format.js';
export {
  DTYPE_TO_SAFETENSORS,
  dtypeFromSafetensors,
  dtypeToSafetensors,
  SAFETENSORS_TO_DTYPE,
  SafetensorsError,
  UNSUPPORTED_SAFETENSORS_DTYPES,
} from './format.js';
export type { SafetensorsEntry, SafetensorsEntryOf, SafetensorsFile } from './read.js';
export { parseSafetensors, SAFETENSORS_MAX_HEADER_BYTES } from './read.js';
export type { SafetensorsCheckpoint } from './sharded.js';
export {
  loadSafetensorsFromDir,
  readSafetensorsIndex,
  SAFETENSORS_INDEX_FILE,
  SAFETENSORS_SINGLE_FILE,
} from './sharded.js';
export type { SafetensorsTensorData, SafetensorsTensorInput } from './write.js';
export { serializeSafetensors } from './write.js';

/**
 * Public API of the safetensors module: dtype mapping, in-memory reader and writer, and the node-only
 * checkpoint-directory loader and the streaming file writer and reader (which import `node:fs/promises` lazily, so this
 * barrel stays browser-safe).
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
export type { SafetensorsEntry, SafetensorsEntryOf, SafetensorsFile, SafetensorsHeaderEntry } from './read.js';
export {
  parseSafetensors,
  parseSafetensorsHeader,
  SAFETENSORS_MAX_HEADER_BYTES,
  safetensorsHeaderLength,
} from './read.js';
export type { SafetensorsFileReader, SafetensorsFileTensor } from './read-file.js';
export { openSafetensorsFile } from './read-file.js';
export type { SafetensorsCheckpoint, SafetensorsCheckpointReader } from './sharded.js';
export {
  loadSafetensorsFromDir,
  openSafetensorsDir,
  openSafetensorsIndex,
  readSafetensorsIndex,
  SAFETENSORS_INDEX_FILE,
  SAFETENSORS_SINGLE_FILE,
} from './sharded.js';
export type {
  SafetensorsTensorData,
  SafetensorsTensorInfo,
  SafetensorsTensorInput,
  SafetensorsTensorPlacement,
} from './write.js';
export { checkSafetensorsData, safetensorsLayout, safetensorsOrder, serializeSafetensors } from './write.js';
export type { SafetensorsTensorSource, WrittenSafetensors } from './write-file.js';
export { writeSafetensorsFile } from './write-file.js';

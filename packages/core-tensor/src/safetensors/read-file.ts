/**
 * Streaming safetensors reader (Node only): reads and validates the header of a file on disk, then each tensor's
 * bytes on demand with positioned reads, into a fresh (so always aligned) buffer. For files too large to hold
 * whole — Node 20 reads at most 2 GiB with readFile and holds at most 4 GiB in one buffer — and to keep only one
 * tensor in memory at a time. The checks are parseSafetensors' (same messages).
 * `node:fs/promises` is imported lazily so the safetensors barrel stays browser-safe.
 */
import type { DType, StorageArrayMap } from '../dtype.js';
import { assertLittleEndianHost } from './format.js';
import { parseSafetensorsHeader, safetensorsHeaderLength } from './read.js';

/** One tensor of a file opened by `openSafetensorsFile`. */
export interface SafetensorsFileTensor<D extends DType = DType> {
  readonly name: string;
  readonly dtype: D;
  readonly shape: number[];
  readonly byteLength: number;
  /** Reads the tensor's data (storage form, see `StorageArrayMap`) from the file. */
  read(): Promise<StorageArrayMap[D]>;
}

export interface SafetensorsFileReader {
  readonly metadata: Record<string, string> | undefined;
  /** Tensors in data-section order. */
  readonly tensors: Map<string, SafetensorsFileTensor>;
  close(): Promise<void>;
}

const READ_CHUNK = 1 << 30;

const STORAGE: { [D in DType]: (buffer: ArrayBuffer) => StorageArrayMap[D] } = {
  f64: (b) => new Float64Array(b),
  f32: (b) => new Float32Array(b),
  f16: (b) => new Uint16Array(b),
  bf16: (b) => new Uint16Array(b),
  i32: (b) => new Int32Array(b),
  u8: (b) => new Uint8Array(b),
  i64: (b) => new BigInt64Array(b),
};

/** Opens a safetensors file and validates its header; the caller closes it. */
export async function openSafetensorsFile(path: string): Promise<SafetensorsFileReader> {
  assertLittleEndianHost();
  const { open } = await import('node:fs/promises');
  const handle = await open(path, 'r');
  try {
    const fileLength = (await handle.stat()).size;
    const readAt = async (into: Uint8Array, position: number): Promise<void> => {
      for (let done = 0; done < into.length; ) {
        const length = Math.min(READ_CHUNK, into.length - done);
        const { bytesRead } = await handle.read(into, done, length, position + done);
        if (bytesRead === 0) throw new Error(`safetensors '${path}': the file ended early (changed while read?)`);
        done += bytesRead;
      }
    };
    const first8 = new Uint8Array(8);
    if (fileLength >= 8) await readAt(first8, 0);
    const headerLength = safetensorsHeaderLength(first8, fileLength, path);
    const headerBytes = new Uint8Array(headerLength);
    await readAt(headerBytes, 8);
    const dataStart = 8 + headerLength;
    const { metadata, entries } = parseSafetensorsHeader(headerBytes, fileLength - dataStart, path);
    const tensors = new Map<string, SafetensorsFileTensor>();
    for (const { name, dtype, shape, begin, end } of entries) {
      const byteLength = end - begin;
      const read = async () => {
        const buffer = new ArrayBuffer(byteLength);
        await readAt(new Uint8Array(buffer), dataStart + begin);
        return STORAGE[dtype](buffer);
      };
      tensors.set(name, { name, dtype, shape, byteLength, read } as SafetensorsFileTensor);
    }
    return { metadata, tensors, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

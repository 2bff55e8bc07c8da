/**
 * Streaming safetensors writer (Node only): the header is made from the tensors' shapes alone (safetensorsLayout),
 * then each tensor's data is fetched and written straight from its typed array to the file, the next one fetched
 * while the current one is written. So a checkpoint of any size costs its readback and disk bandwidth: no copy of
 * the whole file in memory (which Node 20 cannot even hold past 4 GiB), no per-element work, and at most two
 * tensors' data alive at once. The bytes are exactly `serializeSafetensors`' for the same tensors.
 * `node:fs/promises` is imported lazily so the safetensors barrel stays browser-safe.
 */
import type { StorageArray } from '../dtype.js';
import { checkSafetensorsData, type SafetensorsTensorInfo, safetensorsLayout, safetensorsOrder } from './write.js';

/** A tensor to stream: its shape, and its data in storage form, fetched when its turn comes. */
export interface SafetensorsTensorSource extends SafetensorsTensorInfo {
  data: () => StorageArray | Promise<StorageArray>;
}

export interface WrittenSafetensors {
  /** Bytes of the file. */
  bytes: number;
  /** Seconds spent waiting for tensor data (readback, conversion) that the writing did not hide. */
  fetchSeconds: number;
  /** Seconds spent waiting for writes. */
  writeSeconds: number;
}

/** Largest single write: far below the 2 GiB a read or write call takes. */
const WRITE_CHUNK = 1 << 30;

/**
 * Writes a safetensors file at `path` (created or truncated), laid out as `serializeSafetensors` lays out the same
 * tensors (an array in order, a record in the reference implementation's order). Not atomic: on failure the partial
 * file is removed, so write under a temporary name and rename it to publish. `fsync`: flush it to disk before
 * returning.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors:
    | ReadonlyArray<SafetensorsTensorSource & { name: string }>
    | Readonly<Record<string, SafetensorsTensorSource>>,
  metadata?: Record<string, string>,
  options: { fsync?: boolean } = {},
): Promise<WrittenSafetensors> {
  const { open, rm } = await import('node:fs/promises');
  const ordered = safetensorsOrder<SafetensorsTensorSource>(tensors);
  const { header, tensors: placed, dataBytes } = safetensorsLayout(ordered, metadata);
  const fetch = (i: number): Promise<StorageArray> => {
    const pending = Promise.resolve().then(() => ordered[i]!.data());
    pending.catch(() => {}); // awaited below; a failed write must not leave it unhandled
    return pending;
  };
  let fetchSeconds = 0;
  let writeSeconds = 0;
  const handle = await open(path, 'w');
  try {
    const writeAll = async (bytes: Uint8Array, position: number): Promise<void> => {
      const start = performance.now();
      for (let done = 0; done < bytes.length; ) {
        const length = Math.min(WRITE_CHUNK, bytes.length - done);
        const { bytesWritten } = await handle.write(bytes, done, length, position + done);
        done += bytesWritten;
      }
      writeSeconds += (performance.now() - start) / 1000;
    };
    let next = ordered.length > 0 ? fetch(0) : undefined;
    await writeAll(header, 0);
    for (let i = 0; i < ordered.length; i++) {
      const start = performance.now();
      const data = await next!;
      fetchSeconds += (performance.now() - start) / 1000;
      const { name, begin } = placed[i]!;
      checkSafetensorsData(name, ordered[i]!, data);
      next = i + 1 < ordered.length ? fetch(i + 1) : undefined;
      await writeAll(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length + begin);
    }
    if (options.fsync) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(path, { force: true });
    throw error;
  }
  await handle.close();
  return { bytes: header.length + dataBytes, fetchSeconds, writeSeconds };
}

/**
 * Crash-safe writes. A file or a directory becomes visible under its final name only once it is complete and on
 * disk: it is written under a temporary name in the same directory, flushed with fsync, renamed (atomic within one
 * file system on POSIX), and the parent directory is fsynced so that the rename itself survives a power cut.
 * A process killed at any point leaves either the previous version or the new one, plus at worst a `.tmp-…` entry
 * that `removeStaleTemporaries` clears on the next start.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The prefix of every temporary name; nothing else in a run directory starts with it. */
export const TEMPORARY_PREFIX = '.tmp-';

/** A temporary name beside `finalPath`, unique per process and call. */
export function temporaryPathFor(finalPath: string): string {
  temporaryCounter++;
  return join(dirname(finalPath), `${TEMPORARY_PREFIX}${basename(finalPath)}-${process.pid}-${temporaryCounter}`);
}
let temporaryCounter = 0;

/** Flushes a file's or a directory's data and metadata to the disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` and fsyncs it (not atomic by itself: use it for files inside a temporary directory). */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with `data` atomically: readers see the old content or the new one, never a part. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temporary = temporaryPathFor(path);
  try {
    writeFileDurable(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  fsyncPath(dirname(path));
}

/**
 * Publishes a finished temporary directory under `finalPath`: fsyncs every file in it and the directory itself,
 * renames it, and fsyncs the parent. `finalPath` must not exist (checkpoint directories are never overwritten:
 * each step has its own name).
 */
export function commitDirectory(temporaryDir: string, finalPath: string): void {
  for (const entry of readdirSync(temporaryDir, { withFileTypes: true })) {
    if (entry.isFile()) fsyncPath(join(temporaryDir, entry.name));
  }
  fsyncPath(temporaryDir);
  renameSync(temporaryDir, finalPath);
  fsyncPath(dirname(finalPath));
}

/** Deletes the `.tmp-…` entries a killed process left in `dir` (there is never a live writer besides us). */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(TEMPORARY_PREFIX)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Positional reads (`pread`) from many files through a bounded set of open handles (least recently used closed
 * first), so a source of thousands of files never exhausts file descriptors. Node has no mmap in core: reading
 * at offsets is how documents are fetched lazily, the operating system's page cache doing what a mapping would.
 */
import { type FileHandle, open } from 'node:fs/promises';

export class FilePool {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(private readonly maxOpen = 32) {}

  private handle(file: string): Promise<FileHandle> {
    let handle = this.handles.get(file);
    if (handle) {
      // Map order is insertion order: re-insert to mark as most recently used.
      this.handles.delete(file);
    } else {
      handle = open(file, 'r');
      handle.catch(() => this.handles.delete(file));
      if (this.handles.size >= this.maxOpen) {
        const [oldest, closing] = this.handles.entries().next().value as [string, Promise<FileHandle>];
        this.handles.delete(oldest);
        void closing.then((h) => h.close()).catch(() => {});
      }
    }
    this.handles.set(file, handle);
    return handle;
  }

  /** Exactly `length` bytes at `offset`; throws if the file is shorter (it changed since it was indexed). */
  async read(file: string, offset: number, length: number): Promise<Buffer> {
    const handle = await this.handle(file);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`file ends at byte ${offset + done}, expected ${offset + length} bytes`);
      done += bytesRead;
    }
    return out;
  }

  async size(file: string): Promise<number> {
    return (await (await this.handle(file)).stat()).size;
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((h) => h.then((x) => x.close()).catch(() => {})));
  }
}

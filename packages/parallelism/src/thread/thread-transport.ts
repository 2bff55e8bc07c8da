/**
 * Point-to-point messages between the worker threads of one in-process world: one MessagePort per pair of ranks
 * (a full mesh, set up by `launchThreadWorld`), and a mailbox that hands each message to whoever asked for its
 * (sender, tag). Messages between two ranks arrive in the order they were posted; tags let the collectives of
 * several communicators and several in-flight operations share the mesh.
 *
 * Tensor data crosses as a copy of its values in a transferred ArrayBuffer: workers cannot share Tensor objects
 * (each worker has its own backend), and a copy per message is what a test transport can afford.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DType, ValueArray } from '@falcon-h1/core-tensor';

/** What one message carries: a tensor's values (or a small control record). */
export interface Payload {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: ValueArray;
}

interface Envelope {
  readonly tag: string;
  readonly payload: Payload;
}

interface Slot {
  arrived: Payload[];
  waiting: Array<(payload: Payload) => void>;
}

export class ThreadTransport {
  private readonly slots = new Map<string, Slot>();

  /** `ports[r]` reaches rank r (null for this rank itself). */
  constructor(
    readonly rank: number,
    private readonly ports: readonly (MessagePort | null)[],
  ) {
    ports.forEach((port, src) => {
      port?.on('message', (envelope: Envelope) => this.deliver(src, envelope.tag, envelope.payload));
    });
  }

  get worldSize(): number {
    return this.ports.length;
  }

  /** Hands `payload` to rank `dst` under `tag`; the payload's buffer is transferred (unusable here afterwards). */
  post(dst: number, tag: string, payload: Payload): void {
    if (dst === this.rank) {
      this.deliver(dst, tag, payload);
      return;
    }
    const port = this.ports[dst];
    if (!port) throw new Error(`thread transport: rank ${this.rank} has no port to rank ${dst}`);
    const buffer = payload.values.buffer;
    port.postMessage({ tag, payload } satisfies Envelope, buffer instanceof ArrayBuffer ? [buffer] : []);
  }

  /** The next message rank `src` posted under `tag`. */
  take(src: number, tag: string): Promise<Payload> {
    const slot = this.slot(src, tag);
    const ready = slot.arrived.shift();
    if (ready) {
      this.release(src, tag, slot);
      return Promise.resolve(ready);
    }
    return new Promise((resolve) => slot.waiting.push(resolve));
  }

  /** Closes every port (the worker can then exit). */
  close(): void {
    for (const port of this.ports) port?.close();
  }

  private deliver(src: number, tag: string, payload: Payload): void {
    const slot = this.slot(src, tag);
    const waiter = slot.waiting.shift();
    if (waiter) waiter(payload);
    else slot.arrived.push(payload);
    this.release(src, tag, slot);
  }

  private slot(src: number, tag: string): Slot {
    const key = `${src}|${tag}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { arrived: [], waiting: [] };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private release(src: number, tag: string, slot: Slot): void {
    if (slot.arrived.length === 0 && slot.waiting.length === 0) this.slots.delete(`${src}|${tag}`);
  }
}

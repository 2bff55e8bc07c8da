/**
 * The in-process `Communicator`: ranks are worker threads, data moves as messages of the thread transport. Every
 * collective is built from point-to-point messages in the simplest way that is deterministic — each rank sends its
 * whole contribution to every rank that needs it, and each receiver reduces in rank order 0, 1, …, so all ranks
 * compute bitwise the same result. That costs O(worldSize²) messages: this implementation exists to test the
 * parallel model code's semantics in CI, not to be fast.
 *
 * Matching follows the `Communicator` contract: a collective takes its sequence number when it is called, so a
 * rank may have several operations in flight; point-to-point messages count per (peer, direction).
 */
import { type DType, getBackend, type Tensor, tensor, type ValueArray } from '@falcon-h1/core-tensor';
import { type Communicator, checkRank, type RecvOp, type ReduceOp, type SendOp } from '../communicator.js';
import { reduceInRankOrder } from './reduce-values.js';
import type { Payload, ThreadTransport } from './thread-transport.js';

const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export class ThreadCommunicator implements Communicator {
  readonly rank: number;
  private collectives = 0;
  private readonly sent: number[];
  private readonly received: number[];

  /** `members[i]` is the transport (world) rank of this communicator's rank i. */
  constructor(
    private readonly transport: ThreadTransport,
    private readonly members: readonly number[],
    private readonly id: string,
  ) {
    this.rank = members.indexOf(transport.rank);
    if (this.rank < 0) throw new Error(`thread communicator ${id}: world rank ${transport.rank} is not a member`);
    this.sent = new Array<number>(members.length).fill(0);
    this.received = new Array<number>(members.length).fill(0);
  }

  get worldSize(): number {
    return this.members.length;
  }

  allReduce(x: Tensor, op: ReduceOp = 'sum'): Promise<Tensor> {
    const tag = this.nextTag('allReduce');
    return this.run(async () => {
      const mine = await payloadOf(x);
      for (let r = 0; r < this.worldSize; r++) this.postTo(r, tag, r === this.rank ? mine : clonePayload(mine));
      const parts = await this.takeFromAll(tag, mine);
      return toTensor(reduceInRankOrder(parts, op), x);
    });
  }

  reduceScatter(x: Tensor, op: ReduceOp = 'sum'): Promise<Tensor> {
    const rows = x.shape[0] ?? 0;
    if (x.rank === 0 || rows % this.worldSize !== 0) {
      throw new Error(`reduceScatter: axis 0 of ${formatShape(x.shape)} does not split into ${this.worldSize} slices`);
    }
    const tag = this.nextTag('reduceScatter');
    const shape = [rows / this.worldSize, ...x.shape.slice(1)];
    return this.run(async () => {
      const all = await x.data();
      const size = all.length / this.worldSize;
      for (let r = 0; r < this.worldSize; r++) {
        this.postTo(r, tag, { dtype: x.dtype, shape, values: all.slice(r * size, (r + 1) * size) as ValueArray });
      }
      const parts = await this.takeFromAll(tag);
      return toTensor(reduceInRankOrder(parts, op), x, shape);
    });
  }

  allGather(x: Tensor): Promise<Tensor> {
    if (x.rank === 0) throw new Error('allGather: a scalar has no axis 0 to gather along');
    const tag = this.nextTag('allGather');
    return this.run(async () => {
      const mine = await payloadOf(x);
      for (let r = 0; r < this.worldSize; r++) this.postTo(r, tag, clonePayload(mine));
      const parts = await this.takeFromAll(tag);
      const out = newValues(x.dtype, mine.values.length * this.worldSize);
      parts.forEach((part, r) => {
        (out as Float64Array).set(part.values as Float64Array, r * mine.values.length);
      });
      return toTensor({ dtype: x.dtype, shape: x.shape, values: out }, x, [
        x.shape[0]! * this.worldSize,
        ...x.shape.slice(1),
      ]);
    });
  }

  broadcast(x: Tensor, root: number): Promise<Tensor> {
    checkRank('broadcast', root, this.worldSize);
    const tag = this.nextTag('broadcast');
    return this.run(async () => {
      if (this.rank === root) {
        const mine = await payloadOf(x);
        for (let r = 0; r < this.worldSize; r++) if (r !== root) this.postTo(r, tag, clonePayload(mine));
        return toTensor(mine, x);
      }
      const got = await this.takeFrom(root, tag);
      checkPayload('broadcast', got, x.shape, x.dtype);
      return toTensor(got, x);
    });
  }

  send(x: Tensor, dst: number): Promise<void> {
    checkRank('send', dst, this.worldSize);
    const tag = `${this.id}:p2p:${this.sent[dst]!++}`;
    return this.run(async () => {
      this.postTo(dst, tag, await payloadOf(x));
    });
  }

  recv(src: number, shape: readonly number[], dtype: DType): Promise<Tensor> {
    checkRank('recv', src, this.worldSize);
    const tag = `${this.id}:p2p:${this.received[src]!++}`;
    return this.run(async () => {
      const got = await this.takeFrom(src, tag);
      checkPayload(`recv from rank ${src}`, got, shape, dtype);
      return tensor(got.values, shape, dtype, getBackend());
    });
  }

  /** The transport buffers every message, so an exchange is its sends and receives issued in order. */
  async exchange(sends: readonly SendOp[], recvs: readonly RecvOp[]): Promise<Tensor[]> {
    const sent = sends.map(({ x, dst }) => this.send(x, dst));
    const received = recvs.map(({ src, shape, dtype }) => this.recv(src, shape, dtype));
    await Promise.all(sent);
    return Promise.all(received);
  }

  async barrier(): Promise<void> {
    const tag = this.nextTag('barrier');
    for (let r = 0; r < this.worldSize; r++) this.postTo(r, tag, controlPayload([]));
    await this.takeFromAll(tag);
  }

  async split(color: number, key: number = this.rank): Promise<Communicator> {
    if (!Number.isInteger(color) || !Number.isInteger(key)) {
      throw new Error(`split: color and key must be integers, got ${color} and ${key}`);
    }
    const tag = this.nextTag('split');
    for (let r = 0; r < this.worldSize; r++) this.postTo(r, tag, controlPayload([color, key]));
    const votes = (await this.takeFromAll(tag)).map((p, rank) => ({ color: p.values[0], key: p.values[1], rank }));
    const members = votes
      .filter((v) => v.color === color)
      .sort((a, b) => Number(a.key) - Number(b.key) || a.rank - b.rank)
      .map((v) => this.members[v.rank]!);
    return new ThreadCommunicator(this.transport, members, `${tag}/${color}`);
  }

  private nextTag(what: string): string {
    return `${this.id}:${this.collectives++}:${what}`;
  }

  /** Runs an operation, naming this rank in any error (a hung peer is the usual consequence of a mismatch). */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new Error(`rank ${this.rank} of ${this.id}: ${(error as Error).message}`, { cause: error });
    }
  }

  private postTo(rank: number, tag: string, payload: Payload): void {
    this.transport.post(this.members[rank]!, tag, payload);
  }

  private takeFrom(rank: number, tag: string): Promise<Payload> {
    return this.transport.take(this.members[rank]!, tag);
  }

  /** The message of every rank under `tag`, in rank order (this rank's own is `own` when it kept it). */
  private takeFromAll(tag: string, own?: Payload): Promise<Payload[]> {
    return Promise.all(
      this.members.map((_, r) => (r === this.rank && own ? Promise.resolve(own) : this.takeFrom(r, tag))),
    );
  }
}

async function payloadOf(x: Tensor): Promise<Payload> {
  // data() may hand out an array the backend still uses: the message gets a copy it can transfer.
  return { dtype: x.dtype, shape: [...x.shape], values: (await x.data()).slice() as ValueArray };
}

function clonePayload(payload: Payload): Payload {
  return { dtype: payload.dtype, shape: payload.shape, values: payload.values.slice() as ValueArray };
}

function controlPayload(values: number[]): Payload {
  return { dtype: 'f64', shape: [values.length], values: Float64Array.from(values) };
}

function newValues(dtype: DType, length: number): ValueArray {
  switch (dtype) {
    case 'f64':
      return new Float64Array(length);
    case 'i32':
      return new Int32Array(length);
    case 'u8':
      return new Uint8Array(length);
    case 'i64':
      return new BigInt64Array(length);
    default:
      return new Float32Array(length); // f32, and f16/bf16 widened as Tensor.data() gives them
  }
}

function checkPayload(what: string, got: Payload, shape: readonly number[], dtype: DType): void {
  if (got.dtype !== dtype || formatShape(got.shape) !== formatShape(shape)) {
    throw new Error(
      `${what}: expected ${dtype}${formatShape(shape)}, the peer sent ${got.dtype}${formatShape(got.shape)}`,
    );
  }
}

function toTensor(payload: Payload, like: Tensor, shape: readonly number[] = like.shape): Tensor {
  return tensor(payload.values, shape, like.dtype, like.backend);
}

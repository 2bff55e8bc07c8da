/**
 * The `Communicator` over a backend's collectives (the contract's `BackendCollectives`: NCCL on the CUDA backend),
 * one process per device. Each method enqueues its operation on the backend's stream when it is called and
 * resolves at once: the stream orders the collectives after the kernels that produced their inputs and before
 * those that read their outputs, so there is nothing to wait for on the host (NCCL's own model). Results are
 * wrapped into tensors by core's engine; inputs are never written, and may be disposed as soon as the promise
 * resolves (the backend's frees are stream-ordered). `barrier` is the one host synchronisation.
 *
 * NCCL's point-to-point rule applies: a `send` holds the stream until the peer's matching `recv` runs, so two
 * ranks that send to each other must do it in one `exchange` (an NCCL group) or order send/recv oppositely.
 */
import {
  type Backend,
  type BackendCollectives,
  type DType,
  ENGINE,
  type Tensor,
  type TensorInfo,
  tensor,
} from '@falcon-h1/core-tensor';
import { type Communicator, checkRank, type RecvOp, type ReduceOp, type SendOp } from './communicator.js';

/** Bytes of a 128-byte NCCL unique id carried as 32 i32 values through the parent's broadcast (split fallback). */
const ID_WORDS = 32;

export class BackendCommunicator implements Communicator {
  private readonly collectives: BackendCollectives;
  private destroyed = false;

  /**
   * Wraps communicator `handle` of `backend.collectives`, whose member this process is as `rank` (the handle is
   * public for what the Communicator interface does not cover, e.g. grouped calls through `backend.collectives`).
   */
  constructor(
    readonly backend: Backend,
    readonly handle: number,
    readonly rank: number,
    readonly worldSize: number,
  ) {
    if (!backend.collectives) {
      throw new Error(`backend '${backend.name}' has no collectives (multi-process groups need the CUDA backend)`);
    }
    this.collectives = backend.collectives;
    checkRank('BackendCommunicator', rank, worldSize);
  }

  /** Joins the group `id` (made by one member with `backend.collectives.uniqueId()` and shared out of band). */
  static init(backend: Backend, id: Uint8Array, rank: number, worldSize: number): BackendCommunicator {
    if (!backend.collectives) {
      throw new Error(`backend '${backend.name}' has no collectives (multi-process groups need the CUDA backend)`);
    }
    checkRank('BackendCommunicator.init', rank, worldSize);
    return new BackendCommunicator(backend, backend.collectives.init(id, rank, worldSize), rank, worldSize);
  }

  allReduce(x: Tensor, op: ReduceOp = 'sum'): Promise<Tensor> {
    return this.issue('allReduce', x, (c) => c.allReduce(this.handle, x, op));
  }

  reduceScatter(x: Tensor, op: ReduceOp = 'sum'): Promise<Tensor> {
    const rows = x.shape[0] ?? 0;
    if (x.rank === 0 || rows % this.worldSize !== 0) {
      throw new Error(`reduceScatter: axis 0 of [${x.shape.join(', ')}] does not split into ${this.worldSize} slices`);
    }
    return this.issue('reduceScatter', x, (c) => c.reduceScatter(this.handle, x, op));
  }

  allGather(x: Tensor): Promise<Tensor> {
    if (x.rank === 0) throw new Error('allGather: a scalar has no axis 0 to gather along');
    return this.issue('allGather', x, (c) => c.allGather(this.handle, x));
  }

  broadcast(x: Tensor, root: number): Promise<Tensor> {
    checkRank('broadcast root', root, this.worldSize);
    return this.issue('broadcast', x, (c) => c.broadcast(this.handle, x, root));
  }

  send(x: Tensor, dst: number): Promise<void> {
    checkRank('send', dst, this.worldSize);
    this.checkInput('send', x);
    this.collectives.send(this.handle, x, dst);
    return Promise.resolve();
  }

  recv(src: number, shape: readonly number[], dtype: DType): Promise<Tensor> {
    checkRank('recv', src, this.worldSize);
    this.checkLive('recv');
    return Promise.resolve(this.wrap(this.collectives.recv(this.handle, shape, dtype, src)));
  }

  /** One NCCL group: every send and receive enqueued between ncclGroupStart and ncclGroupEnd. */
  exchange(sends: readonly SendOp[], recvs: readonly RecvOp[]): Promise<Tensor[]> {
    for (const { x, dst } of sends) {
      checkRank('exchange send', dst, this.worldSize);
      this.checkInput('exchange send', x);
    }
    for (const { src } of recvs) checkRank('exchange recv', src, this.worldSize);
    this.checkLive('exchange');
    const received: TensorInfo[] = [];
    this.collectives.groupStart();
    try {
      for (const { x, dst } of sends) this.collectives.send(this.handle, x, dst);
      for (const { src, shape, dtype } of recvs) received.push(this.collectives.recv(this.handle, shape, dtype, src));
    } finally {
      // Closing the group even on a failed enqueue: an open group would swallow the next collectives.
      this.collectives.groupEnd();
    }
    return Promise.resolve(received.map((info) => this.wrap(info)));
  }

  /** An all-reduce of one value whose result is read on the host: every rank has issued everything before it. */
  async barrier(): Promise<void> {
    const token = tensor([1], [1], 'i32', this.backend);
    const all = await this.allReduce(token);
    token.dispose();
    const [count] = await all.data();
    all.dispose();
    if (count !== this.worldSize) throw new Error(`barrier: ${count} of ${this.worldSize} ranks answered`);
  }

  /**
   * ncclCommSplit where the backend has it; otherwise each new group's first member makes a unique id and the
   * parent broadcasts it (one broadcast per group, in color order, so every rank issues the same collectives).
   */
  async split(color: number, key: number = this.rank): Promise<Communicator> {
    if (!Number.isInteger(color) || color < 0 || !Number.isInteger(key)) {
      throw new Error(`split: color must be an integer ≥ 0 and key an integer, got ${color} and ${key}`);
    }
    const mine = tensor([color, key], [1, 2], 'i32', this.backend);
    const gathered = await this.allGather(mine);
    mine.dispose();
    const votes = await gathered.data();
    gathered.dispose();
    const ranks = Array.from({ length: this.worldSize }, (_, r) => ({
      color: votes[2 * r]!,
      key: votes[2 * r + 1]!,
      r,
    }));
    const groupOf = (c: number) =>
      ranks.filter((v) => v.color === c).sort((a, b) => Number(a.key) - Number(b.key) || a.r - b.r);
    const members = groupOf(color);
    const newRank = members.findIndex((v) => v.r === this.rank);
    const split = this.collectives.split;
    if (split) {
      const handle = split.call(this.collectives, this.handle, color, key);
      return new BackendCommunicator(this.backend, handle, newRank, members.length);
    }
    let id: Uint8Array | undefined;
    for (const c of [...new Set(ranks.map((v) => Number(v.color)))].sort((a, b) => a - b)) {
      const leader = groupOf(c)[0]!.r;
      const words = new Int32Array(ID_WORDS);
      if (leader === this.rank) words.set(new Int32Array(this.collectives.uniqueId().slice().buffer));
      const sent = tensor(words, [ID_WORDS], 'i32', this.backend);
      const received = await this.broadcast(sent, leader);
      sent.dispose();
      const bytes = new Uint8Array(Int32Array.from(await received.data(), Number).buffer);
      received.dispose();
      if (c === color) id = bytes;
    }
    return BackendCommunicator.init(this.backend, id!, newRank, members.length);
  }

  /** Frees the communicator (NCCL's ncclCommDestroy); every member should call it. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.collectives.destroy(this.handle);
  }

  // ------------------------------------------------------------------------------------------------------------

  private issue(what: string, x: Tensor, enqueue: (c: BackendCollectives) => TensorInfo): Promise<Tensor> {
    this.checkInput(what, x);
    return Promise.resolve(this.wrap(enqueue(this.collectives)));
  }

  private wrap(info: TensorInfo): Tensor {
    return ENGINE.makeTensor(info, this.backend);
  }

  private checkLive(what: string): void {
    if (this.destroyed) throw new Error(`${what}: the communicator was destroyed`);
  }

  private checkInput(what: string, x: Tensor): void {
    this.checkLive(what);
    if (x.isDisposed) throw new Error(`${what}: the input tensor was disposed`);
    if (x.backend !== this.backend) {
      throw new Error(`${what}: the tensor lives on '${x.backend.name}', the communicator on '${this.backend.name}'`);
    }
  }
}

/**
 * The contract's `BackendCollectives` over NCCL (native/src/nccl.cc). NCCL is loaded by the addon at run time, so
 * this object exists on every CudaBackend; where libnccl is missing each call throws "NCCL is not available: …".
 * Every operation enqueues on the backend's stream and returns at once; its output is a new buffer from the
 * backend's allocator (inputs are never written).
 */
import type { BackendCollectives, CollectiveReduceOp, DType, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaContext } from './binding.js';

/** What the addon reports about NCCL (`nccl('available')`). */
export interface NcclAvailability {
  ok: boolean;
  /** NCCL_VERSION_CODE, e.g. 22703 for 2.27.3. */
  version?: number;
  /** Whether ncclCommSplit exists (NCCL ≥ 2.18). */
  split?: boolean;
  reason?: string;
}

/** The Context method of nccl.cc: the operation's name, then its arguments (buffer ids, counts, dtype codes). */
type NcclMethod = (op: string, ...args: Array<number | Uint8Array>) => unknown;

/** What the collectives need from CudaBackend (its buffer helpers). */
export interface NcclHost {
  readonly ctx: CudaContext;
  output(shape: readonly number[], dtype: DType): TensorInfo;
  release(info: TensorInfo): void;
  id(info: TensorInfo): number;
  code(dtype: DType): number;
}

const OP_CODE: Readonly<Record<CollectiveReduceOp, number>> = { sum: 0, max: 1, min: 2, avg: 3 };

function opCode(op: CollectiveReduceOp): number {
  const code = OP_CODE[op];
  if (code === undefined) throw new Error(`NCCL: unknown reduction '${op}' (sum, max, min, avg)`);
  return code;
}

export class NcclCollectives implements BackendCollectives {
  constructor(private readonly host: NcclHost) {}

  /**
   * ncclCommSplit where the NCCL found at run time has it (≥ 2.18), else undefined (the communicator then splits
   * by a new unique id). Asking loads NCCL, so it is a getter: a backend that never communicates never loads it.
   */
  get split(): ((comm: number, color: number, key: number) => number) | undefined {
    if (!this.availability().split) return undefined;
    return (comm, color, key) => {
      if (!Number.isInteger(color) || color < 0) throw new Error(`NCCL split: color ${color} must be an integer ≥ 0`);
      return this.nccl('split', comm, color, key) as number;
    };
  }

  /** The addon's `nccl` method (read at each call: the backend's context is made after this object). */
  private nccl(op: string, ...args: Array<number | Uint8Array>): unknown {
    const ctx = this.host.ctx as unknown as { nccl?: NcclMethod };
    if (typeof ctx.nccl !== 'function') {
      throw new Error('NCCL: this build of the CUDA addon has no NCCL binding (rebuild it)');
    }
    return ctx.nccl(op, ...args);
  }

  /** Whether NCCL loaded, its version and whether it can split (never throws). */
  availability(): NcclAvailability {
    try {
      return this.nccl('available') as NcclAvailability;
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }

  uniqueId(): Uint8Array {
    return this.nccl('uniqueId') as Uint8Array;
  }

  init(id: Uint8Array, rank: number, worldSize: number): number {
    if (!(id instanceof Uint8Array) || id.length !== 128) {
      throw new Error('NCCL init: the unique id must be a Uint8Array of 128 bytes');
    }
    if (!Number.isInteger(worldSize) || worldSize < 1 || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
      throw new Error(`NCCL init: rank ${rank} of ${worldSize} is not a rank of the group`);
    }
    return this.nccl('init', id, rank, worldSize) as number;
  }

  allReduce(comm: number, x: TensorInfo, op: CollectiveReduceOp = 'sum'): TensorInfo {
    const code = opCode(op);
    return this.outOfPlace(x, x.shape, (out, n) =>
      this.nccl('allReduce', comm, this.host.id(x), out, n, this.dtype(x), code),
    );
  }

  reduceScatter(comm: number, x: TensorInfo, op: CollectiveReduceOp = 'sum'): TensorInfo {
    const code = opCode(op);
    const w = this.worldSizeOf(comm);
    const rows = x.shape[0];
    if (rows === undefined || rows % w !== 0) {
      throw new Error(`NCCL reduceScatter: axis 0 of [${x.shape.join(', ')}] does not divide by the ${w} ranks`);
    }
    const shape = [rows / w, ...x.shape.slice(1)];
    return this.outOfPlace(x, shape, (out, n) =>
      this.nccl('reduceScatter', comm, this.host.id(x), out, n, this.dtype(x), code),
    );
  }

  allGather(comm: number, x: TensorInfo): TensorInfo {
    const w = this.worldSizeOf(comm);
    if (x.shape.length === 0) throw new Error('NCCL allGather: a scalar has no axis 0 to gather along');
    const shape = [x.shape[0]! * w, ...x.shape.slice(1)];
    return this.outOfPlace(x, shape, (out, n) => this.nccl('allGather', comm, this.host.id(x), out, n, this.dtype(x)));
  }

  broadcast(comm: number, x: TensorInfo, root: number): TensorInfo {
    return this.outOfPlace(x, x.shape, (out, n) =>
      this.nccl('broadcast', comm, this.host.id(x), out, n, this.dtype(x), root),
    );
  }

  send(comm: number, x: TensorInfo, peer: number): void {
    const n = sizeOf(x.shape);
    if (n > 0) this.nccl('send', comm, this.host.id(x), n, this.dtype(x), peer);
  }

  recv(comm: number, shape: readonly number[], dtype: DType, peer: number): TensorInfo {
    const out = this.host.output(shape, dtype);
    const n = sizeOf(shape);
    try {
      if (n > 0) this.nccl('recv', comm, this.host.id(out), n, this.host.code(dtype), peer);
    } catch (error) {
      this.host.release(out);
      throw error;
    }
    return out;
  }

  groupStart(): void {
    this.nccl('groupStart');
  }

  groupEnd(): void {
    this.nccl('groupEnd');
  }

  destroy(comm: number): void {
    this.worldSizes.delete(comm);
    this.nccl('destroy', comm);
  }

  // ------------------------------------------------------------------------------------------------------------

  /** Members of a communicator (reduceScatter and allGather shapes need them), asked of NCCL once. */
  private readonly worldSizes = new Map<number, number>();

  private worldSizeOf(comm: number): number {
    let w = this.worldSizes.get(comm);
    if (w === undefined) {
      w = this.nccl('count', comm) as number;
      this.worldSizes.set(comm, w);
    }
    return w;
  }

  private dtype(x: TensorInfo): number {
    return this.host.code(x.dtype);
  }

  /**
   * Allocates the output (shape `shape`), runs `enqueue(outId, n)` and frees the output on failure. n, the count
   * NCCL takes, is the smaller side: the reduce-scatter's output, the all-gather's input, else the whole tensor.
   */
  private outOfPlace(
    x: TensorInfo,
    shape: readonly number[],
    enqueue: (out: number, n: number) => unknown,
  ): TensorInfo {
    const out = this.host.output(shape, x.dtype);
    const n = Math.min(sizeOf(shape), sizeOf(x.shape));
    try {
      if (sizeOf(shape) > 0) enqueue(this.host.id(out), n);
    } catch (error) {
      this.host.release(out);
      throw error;
    }
    return out;
  }
}

/**
 * The collective interface every parallel layout is written against — the TypeScript face of an NCCL communicator.
 *
 * Two implementations are meant to exist: NCCL in the CUDA backend (a communicator per process, operations
 * enqueued on the backend's stream) and, for tests, the in-process one over worker threads (`thread/`). Both follow
 * NCCL's rules, so code that runs on one runs on the other:
 *
 * - **Issue order is the matching rule.** The k-th collective issued on a communicator by every rank is one
 *   operation. A method issues its operation when it is *called*, not when its promise is awaited: a caller may
 *   issue an all-reduce, keep computing, and await it later (this is how data parallelism overlaps gradient
 *   reduction with the backward pass). Every member must issue the same collectives in the same order, with
 *   tensors of the same shape and dtype.
 * - **send/recv pair in order per (sender, receiver)**: the k-th `send(x, dst)` of rank s is received by the k-th
 *   `recv(s, …)` of rank dst on the same communicator. `recv` names the shape and dtype (NCCL needs the buffer).
 * - **Inputs are never modified or consumed**: every result is a new tensor on the input's backend; the caller
 *   disposes both. (NCCL runs in place or out of place on raw buffers; the CUDA binding allocates the output.)
 * - **Flat semantics along axis 0**: `allGather` concatenates the ranks' tensors along axis 0 in rank order and
 *   `reduceScatter` gives rank r the r-th of `worldSize` equal slices of axis 0 — exactly NCCL's flat buffers for
 *   row-major tensors. Layouts that gather another axis transpose around the call (see `autograd/`).
 * - **Reductions are deterministic**: every rank receives bitwise the same result (replicas stay identical).
 *
 * Promises, not synchronous calls: NCCL's host calls return once enqueued, but a CPU implementation crosses
 * threads, and the layouts want to overlap communication with compute; `await` marks the points where a value
 * is needed.
 */
import type { DType, Tensor } from '@falcon-h1/core-tensor';

/** Element-wise reduction of `allReduce` and `reduceScatter` (NCCL's ncclSum, ncclMax, ncclMin, ncclAvg). */
export type ReduceOp = 'sum' | 'max' | 'min' | 'avg';

export const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'avg'];

/** A send of `exchange`: `x` to rank `dst`. */
export interface SendOp {
  readonly x: Tensor;
  readonly dst: number;
}

/** A receive of `exchange`: the next tensor rank `src` sends, of this shape and dtype. */
export interface RecvOp {
  readonly src: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface Communicator {
  /** This process's (thread's) index in the group, 0 … worldSize − 1. */
  readonly rank: number;
  readonly worldSize: number;

  /** Every rank gets op over the ranks' tensors (same shape and dtype everywhere). Default op: sum. */
  allReduce(x: Tensor, op?: ReduceOp): Promise<Tensor>;

  /**
   * x [worldSize·n, …] on every rank → rank r gets op over the ranks of slice r, [n, …]. Axis 0 must divide by
   * worldSize. Default op: sum.
   */
  reduceScatter(x: Tensor, op?: ReduceOp): Promise<Tensor>;

  /** x [n, …] on every rank → [worldSize·n, …], rank 0's rows first. */
  allGather(x: Tensor): Promise<Tensor>;

  /** Every rank gets root's tensor; the others pass a tensor of the same shape and dtype (its values unused). */
  broadcast(x: Tensor, root: number): Promise<Tensor>;

  /** Sends x to rank dst; resolves when x may be disposed (the data has been handed over). */
  send(x: Tensor, dst: number): Promise<void>;

  /** Receives the next tensor rank src sends on this communicator, which must have this shape and dtype. */
  recv(src: number, shape: readonly number[], dtype: DType): Promise<Tensor>;

  /**
   * Several sends and receives as one operation (NCCL's ncclGroupStart … ncclGroupEnd around ncclSend/ncclRecv,
   * torch's batch_isend_irecv): they are issued together and none waits for another, so two ranks that send to
   * each other in the same exchange cannot deadlock — NCCL's send holds its stream until the peer's matching
   * receive runs, which a plain `send` followed by `recv` on both ranks would never reach. Matching is as for
   * `send`/`recv` issued in list order (sends first). Resolves with the received tensors, in `recvs` order, once
   * the sent tensors may be disposed.
   */
  exchange(sends: readonly SendOp[], recvs: readonly RecvOp[]): Promise<Tensor[]>;

  /** Resolves once every rank has called it. */
  barrier(): Promise<void>;

  /**
   * NCCL's ncclCommSplit: a collective of the whole group that returns a communicator over the ranks that passed
   * the same `color`, ranked by (`key`, rank in this group); `key` defaults to the rank in this group. The new
   * communicator orders its operations independently of its parent.
   */
  split(color: number, key?: number): Promise<Communicator>;
}

/** Refuses a rank outside [0, worldSize) with a message naming the operation. */
export function checkRank(what: string, rank: number, worldSize: number): void {
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new Error(`${what}: rank ${rank} is outside the group of ${worldSize}`);
  }
}

/**
 * Communication steps with their adjoints, recorded on a `SegmentTape` — the operators of Megatron-style model
 * parallelism. Convention: a tensor replicated on every rank of a group carries the *full* gradient on every rank;
 * a tensor that is one rank's partial contribution carries that rank's partial gradient.
 *
 *   forward                          backward
 *   reduceFromRegion   all-reduce    identity         (g: partial results of a row-parallel layer → replicated)
 *   copyToRegion       identity      all-reduce       (f: a replicated input entering rank-local computation)
 *   gatherAlong(axis)  all-gather    reduce-scatter   (sequence-parallel: slices → whole; KV for context parallel)
 *   scatterAlong(axis) reduce-scatter all-gather      (sequence-parallel: partial whole → summed slices)
 *   sendTensor         send          recv gradient    (pipeline stages, the SSM state of context parallelism)
 *   recvTensor         recv          send gradient
 */
import { type DType, reshape, type Tensor, transpose } from '@falcon-h1/core-tensor';
import type { Communicator } from '../communicator.js';
import type { SegmentTape } from './segment-tape.js';

/** g: sum the ranks' partial tensors; every rank gets the sum. */
export async function reduceFromRegion(tape: SegmentTape, comm: Communicator, x: Tensor): Promise<Tensor> {
  const y = await comm.allReduce(x);
  tape.communication([x], [y], async ([dy]) => [reshape(dy!, dy!.shape)]);
  return y;
}

/** f: the identity forward; the ranks' partial gradients are summed backward. */
export function copyToRegion(tape: SegmentTape, comm: Communicator, x: Tensor): Tensor {
  const y = reshape(x, x.shape); // a tensor of its own, so its gradient is told apart from x's
  tape.communication([x], [y], async ([dy]) => [await comm.allReduce(dy!)]);
  return y;
}

/** Moves `axis` to the front and back, so that the flat axis-0 collectives gather or scatter along it. */
function alongAxis(x: Tensor, axis: number, run: (front: Tensor) => Promise<Tensor>): Promise<Tensor> {
  if (axis === 0) return run(x);
  const perm = x.shape.map((_, i) => i);
  perm.splice(axis, 1);
  perm.unshift(axis);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const front = transpose(x, perm);
  return run(front).then((y) => {
    front.dispose();
    const back = transpose(y, inverse);
    y.dispose();
    return back;
  });
}

/** All-gather along `axis` (rank order); backward: reduce-scatter of the gradient along it. */
export async function gatherAlong(tape: SegmentTape, comm: Communicator, x: Tensor, axis: number): Promise<Tensor> {
  const y = await alongAxis(x, axis, (t) => comm.allGather(t));
  tape.communication([x], [y], async ([dy]) => [await alongAxis(dy!, axis, (t) => comm.reduceScatter(t))]);
  return y;
}

/** Reduce-scatter along `axis` (rank r keeps slice r of the sum); backward: all-gather of the gradient. */
export async function scatterAlong(tape: SegmentTape, comm: Communicator, x: Tensor, axis: number): Promise<Tensor> {
  const y = await alongAxis(x, axis, (t) => comm.reduceScatter(t));
  tape.communication([x], [y], async ([dy]) => [await alongAxis(dy!, axis, (t) => comm.allGather(t))]);
  return y;
}

/** Sends x to `dst`; backward receives x's gradient from `dst`. */
export async function sendTensor(tape: SegmentTape, comm: Communicator, x: Tensor, dst: number): Promise<void> {
  await comm.send(x, dst);
  tape.communication([x], [], async () => [await comm.recv(dst, x.shape, x.dtype)]);
}

/** Receives a tensor from `src`; backward sends its gradient back to `src`. */
export async function recvTensor(
  tape: SegmentTape,
  comm: Communicator,
  src: number,
  shape: readonly number[],
  dtype: DType,
): Promise<Tensor> {
  const y = await comm.recv(src, shape, dtype);
  tape.communication([], [y], async ([dy]) => {
    await comm.send(dy!, src);
    return [];
  });
  return y;
}

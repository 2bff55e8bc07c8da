/**
 * Exercises every collective once with rank-dependent values; the test recomputes each expected result on the
 * host from the same formula. Values: rank r's tensor element i is `value(r, i) = (r + 1) · 10 + i · 0.5`.
 */
import { dispose, type Tensor, tensor } from '@falcon-h1/core-tensor';
import type { Communicator } from '../../src/index.js';

export const value = (rank: number, i: number): number => (rank + 1) * 10 + i * 0.5;

const rankTensor = (rank: number, shape: number[], dtype: 'f32' | 'f64' | 'i32' = 'f64'): Tensor =>
  tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => value(rank, i)),
    shape,
    dtype,
  );

async function read(t: Promise<Tensor>): Promise<{ shape: number[]; values: number[] }> {
  const x = await t;
  const out = { shape: [...x.shape], values: Array.from(await x.data(), Number) };
  x.dispose();
  return out;
}

export async function collectivesScenario(comm: Communicator): Promise<unknown> {
  const { rank, worldSize: w } = comm;
  const x = rankTensor(rank, [2, 3]);
  const rows = rankTensor(rank, [2 * w, 3]);
  const i32 = rankTensor(rank, [4], 'i32');
  const result = {
    rank,
    worldSize: w,
    sum: await read(comm.allReduce(x)),
    max: await read(comm.allReduce(x, 'max')),
    min: await read(comm.allReduce(x, 'min')),
    avg: await read(comm.allReduce(x, 'avg')),
    sumI32: await read(comm.allReduce(i32)),
    reduceScatter: await read(comm.reduceScatter(rows)),
    allGather: await read(comm.allGather(x)),
    broadcast: await read(comm.broadcast(x, w - 1)),
    ring: await ringPass(comm),
    exchange: await allPairsExchange(comm),
    split: await splitGroups(comm),
  };
  await comm.barrier();
  dispose([x, rows, i32]);
  return result;
}

/** Each rank sends its tensor to the next (ring) and receives from the previous. */
async function ringPass(comm: Communicator): Promise<{ shape: number[]; values: number[] }> {
  const { rank, worldSize: w } = comm;
  const x = rankTensor(rank, [3], 'f32');
  const sent = comm.send(x, (rank + 1) % w);
  const got = read(comm.recv((rank + w - 1) % w, [3], 'f32'));
  await sent;
  x.dispose();
  return got;
}

/**
 * One exchange in which every rank sends two tensors to every rank (itself included) and receives two from each:
 * the k-th tensor rank s sends to d is `value(s, i) + 100·d + 1000·k`, and must arrive as d's k-th from s.
 */
export async function allPairsExchange(comm: Communicator): Promise<number[][]> {
  const { rank, worldSize: w } = comm;
  const ranks = [...Array(w).keys()];
  const payload = (dst: number, k: number): Tensor =>
    tensor(
      [0, 1].map((i) => value(rank, i) + 100 * dst + 1000 * k),
      [2],
      'f32',
    );
  const sends = ranks.flatMap((dst) => [0, 1].map((k) => ({ x: payload(dst, k), dst })));
  const recvs = ranks.flatMap((src) => [0, 1].map(() => ({ src, shape: [2], dtype: 'f32' as const })));
  const got = await comm.exchange(sends, recvs);
  dispose(sends.map((s) => s.x));
  const out: number[][] = [];
  for (const t of got) out.push((await read(Promise.resolve(t))).values);
  return out;
}

/** Splits into even and odd ranks, ranked in reverse, and all-reduces within each group. */
async function splitGroups(comm: Communicator): Promise<{ rank: number; worldSize: number; sum: number[] }> {
  const group = await comm.split(comm.rank % 2, -comm.rank);
  const x = tensor([comm.rank], [1], 'f64');
  const sum = await read(group.allReduce(x));
  x.dispose();
  return { rank: group.rank, worldSize: group.worldSize, sum: sum.values };
}

/**
 * Several operations in flight at once, awaited in reverse order of issue, on the world and on a sub-group
 * interleaved: matching is by issue order, so the results must be what sequential calls give.
 */
export async function overlappedScenario(comm: Communicator): Promise<unknown> {
  const group = await comm.split(0);
  const xs = [0, 1, 2].map((k) => tensor([comm.rank + k * 100], [1], 'f64'));
  const pending = [comm.allReduce(xs[0]!), group.allGather(xs[1]!), comm.allReduce(xs[2]!, 'max')];
  const results: number[][] = [];
  for (const p of pending.reverse()) {
    const t = await p;
    results.unshift(Array.from(await t.data(), Number));
    t.dispose();
  }
  dispose(xs);
  return results;
}

/** Rank 1 expects a tensor of another shape than rank 0 sends; rank 0 then waits on a collective rank 1 never joins. */
export async function mismatchScenario(comm: Communicator): Promise<unknown> {
  if (comm.rank === 0) {
    await comm.send(tensor([1, 2, 3], [3], 'f32'), 1);
    await comm.barrier();
  } else {
    await comm.recv(0, [4], 'f32');
  }
  return null;
}

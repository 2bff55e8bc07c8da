/**
 * An in-process world of `worldSize` ranks, one worker thread each, for testing parallel code on CPU.
 *
 *   main thread:   const results = await launchThreadWorld({ worldSize: 4, entry, input });
 *   worker entry:  import '@falcon-h1/backend-reference';            // each worker registers its own backend
 *                  runThreadRank(async (comm, input) => { …; return result; });
 *
 * `entry` is a JavaScript module file (workers cannot load TypeScript by themselves: tests bundle their entry with
 * esbuild first). The launcher wires a MessagePort between every pair of ranks, passes each worker its rank and
 * `input`, and resolves with every rank's result in rank order — or rejects with the first failure, naming the
 * rank, after stopping every worker (a failed rank would otherwise leave its peers waiting forever).
 */
import { MessageChannel, type MessagePort, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Communicator } from '../communicator.js';
import { ThreadCommunicator } from './thread-communicator.js';
import { ThreadTransport } from './thread-transport.js';

export interface ThreadWorldOptions {
  worldSize: number;
  /** The worker module (a path or file URL of JavaScript that calls `runThreadRank`). */
  entry: string | URL;
  /** Given to every rank (structured-cloned). */
  input?: unknown;
}

interface RankData {
  rank: number;
  ports: (MessagePort | null)[];
  input: unknown;
}

type RankReport = { ok: true; result: unknown } | { ok: false; error: string };

export async function launchThreadWorld<R = unknown>(options: ThreadWorldOptions): Promise<R[]> {
  const { worldSize } = options;
  if (!Number.isInteger(worldSize) || worldSize < 1) {
    throw new Error(`launchThreadWorld: worldSize must be a positive integer, got ${worldSize}`);
  }
  const ports: (MessagePort | null)[][] = Array.from({ length: worldSize }, () =>
    new Array<MessagePort | null>(worldSize).fill(null),
  );
  for (let a = 0; a < worldSize; a++) {
    for (let b = a + 1; b < worldSize; b++) {
      const { port1, port2 } = new MessageChannel();
      ports[a]![b] = port1;
      ports[b]![a] = port2;
    }
  }
  const workers = ports.map(
    (own, rank) =>
      new Worker(options.entry, {
        workerData: { rank, ports: own, input: options.input } satisfies RankData,
        transferList: own.filter((p): p is MessagePort => p !== null),
      }),
  );
  try {
    return await Promise.all(workers.map((worker, rank) => rankResult<R>(worker, rank)));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function rankResult<R>(worker: Worker, rank: number): Promise<R> {
  return new Promise((resolve, reject) => {
    worker.once('message', (report: RankReport) => {
      if (report.ok) resolve(report.result as R);
      else reject(new Error(`rank ${rank} failed: ${report.error}`));
    });
    worker.once('error', (error) => reject(new Error(`rank ${rank} crashed: ${error.message}`, { cause: error })));
    worker.once('exit', (code) => reject(new Error(`rank ${rank} exited (code ${code}) without a result`)));
  });
}

/**
 * Runs `body` as this worker's rank: builds the world communicator, awaits the body and reports its result (or
 * its error) to the launcher. Call it once, from a worker started by `launchThreadWorld`.
 */
export function runThreadRank(body: (comm: Communicator, input: unknown) => Promise<unknown>): void {
  if (!parentPort) throw new Error('runThreadRank: not inside a worker started by launchThreadWorld');
  const port = parentPort;
  const { rank, ports, input } = workerData as RankData;
  const transport = new ThreadTransport(rank, ports);
  const world = new ThreadCommunicator(
    transport,
    ports.map((_, r) => r),
    'world',
  );
  body(world, input).then(
    (result) => {
      port.postMessage({ ok: true, result } satisfies RankReport);
      transport.close();
    },
    (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      port.postMessage({ ok: false, error: message } satisfies RankReport);
      transport.close();
    },
  );
}

/**
 * One rank of the multi-process rendezvous test (bundled by esbuild, run with RANK/WORLD_SIZE/MASTER_* set): joins
 * the rendezvous through the environment, rank 0 offering 128 bytes derived from its pid, and prints what it got.
 */
import { processGroupEnv, rendezvous } from '../../src/node.js';

const env = processGroupEnv();
const payload = await rendezvous(
  { host: env.masterAddr, port: env.masterPort, rank: env.rank, worldSize: env.worldSize, timeoutMs: 20_000 },
  () => Uint8Array.from({ length: 128 }, (_, i) => (process.pid + i * 7) % 256),
);
process.stdout.write(`${JSON.stringify({ rank: env.rank, payload: Buffer.from(payload).toString('hex') })}\n`);

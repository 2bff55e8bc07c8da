/**
 * The TCP rendezvous that starts a process group: rank 0 hands its bytes (the NCCL unique id) to every rank —
 * across real processes, when ranks start before rank 0 listens, and with clear errors when a rank is missing,
 * duplicated or was started with another world size.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { joinRendezvous, rendezvous, serveRendezvous } from '../src/node.js';
import { bundleForNode } from './world/bundled-world.js';

const HOST = '127.0.0.1';
const bytes = (seed: number): Uint8Array => Uint8Array.from({ length: 128 }, (_, i) => (seed * 31 + i) % 256);

/** A port nobody listens on right now (the OS picks it; closed again before use). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('rendezvous', () => {
  it('rank 0 hands the same bytes to every rank (4 ranks in process)', async () => {
    const port = await freePort();
    const id = bytes(3);
    const got = await Promise.all(
      [0, 1, 2, 3].map((rank) => rendezvous({ host: HOST, port, rank, worldSize: 4, timeoutMs: 10_000 }, () => id)),
    );
    for (const payload of got) expect([...payload]).toEqual([...id]);
  });

  it('ranks that start before rank 0 listens retry until it does', async () => {
    const port = await freePort();
    const early = [1, 2].map((rank) => joinRendezvous({ host: HOST, port, rank, worldSize: 3, timeoutMs: 10_000 }));
    await new Promise((r) => setTimeout(r, 300));
    const id = bytes(5);
    await serveRendezvous({ host: HOST, port, worldSize: 3, payload: id, timeoutMs: 10_000 });
    for (const payload of await Promise.all(early)) expect([...payload]).toEqual([...id]);
  });

  it('a world of one needs no server', async () => {
    const id = bytes(9);
    expect(await rendezvous({ host: HOST, port: 1, rank: 0, worldSize: 1 }, () => id)).toBe(id);
  });

  it('three processes meet through the environment a launcher sets', { timeout: 60_000 }, async () => {
    const outfile = await bundleForNode(new URL('./node/rendezvous-child.ts', import.meta.url), 'child.mjs');
    const port = await freePort();
    const run = (rank: number): Promise<{ rank: number; payload: string }> =>
      new Promise((resolve, reject) => {
        const env = { ...process.env, RANK: `${rank}`, WORLD_SIZE: '3', MASTER_ADDR: HOST, MASTER_PORT: `${port}` };
        const child = spawn(process.execPath, [outfile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`rank ${rank}: ${err}`)),
        );
      });
    const results = await Promise.all([2, 1, 0].map(run));
    const payloads = new Set(results.map((r) => r.payload));
    expect(payloads.size).toBe(1);
    expect([...payloads][0]).toHaveLength(256);
    expect(results.map((r) => r.rank).sort()).toEqual([0, 1, 2]);
  });

  it('rank 0 names the ranks that never joined', async () => {
    const port = await freePort();
    const served = serveRendezvous({ host: HOST, port, worldSize: 3, payload: bytes(1), timeoutMs: 600 });
    const one = joinRendezvous({ host: HOST, port, rank: 1, worldSize: 3, timeoutMs: 5_000 });
    await expect(served).rejects.toThrow(/rank\(s\) 2 never joined/);
    await expect(one).resolves.toHaveLength(128);
  });

  it('a rank with no rank 0 to reach names the address', async () => {
    const port = await freePort();
    await expect(joinRendezvous({ host: HOST, port, rank: 1, worldSize: 2, timeoutMs: 500 })).rejects.toThrow(
      new RegExp(`rank 1 got no answer from rank 0 at ${HOST}:${port} .*ECONNREFUSED`),
    );
  });

  it('refuses a rank started with another world size, and a duplicated rank', async () => {
    let port = await freePort();
    // rank 0's failure is caught at once (it settles while the other rank is still being awaited)
    let served = serveRendezvous({ host: HOST, port, worldSize: 2, payload: bytes(2), timeoutMs: 5_000 }).catch(
      (e: Error) => e,
    );
    await expect(joinRendezvous({ host: HOST, port, rank: 1, worldSize: 3, timeoutMs: 5_000 })).rejects.toThrow(
      /rank 1 was started with WORLD_SIZE 3, rank 0 with 2/,
    );
    expect(String(await served)).toMatch(/WORLD_SIZE 3/);

    port = await freePort();
    served = serveRendezvous({ host: HOST, port, worldSize: 3, payload: bytes(2), timeoutMs: 5_000 }).catch(
      (e: Error) => e,
    );
    const first = joinRendezvous({ host: HOST, port, rank: 1, worldSize: 3, timeoutMs: 5_000 });
    await expect(first).resolves.toHaveLength(128);
    await expect(joinRendezvous({ host: HOST, port, rank: 1, worldSize: 3, timeoutMs: 5_000 })).rejects.toThrow(
      /rank 1 joined twice/,
    );
    expect(String(await served)).toMatch(/joined twice/);
  });
});

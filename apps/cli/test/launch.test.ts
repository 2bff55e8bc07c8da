/**
 * `falcon-h1 launch` with `node -e` children (no GPU needed): the environment each rank gets, rank-prefixed
 * output, and a failing rank stopping the others.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as m from '../src/index.js';

function collector(): m.Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

const NAMES = [
  'RANK',
  'LOCAL_RANK',
  'WORLD_SIZE',
  'LOCAL_WORLD_SIZE',
  'MASTER_ADDR',
  'MASTER_PORT',
  'FALCON_H1_CUDA_DEVICE',
  'NCCL_NVLS_ENABLE',
];
const PRINT_ENV = `const e = {}; for (const k of ${JSON.stringify(NAMES)}) e[k] = process.env[k]; console.log(JSON.stringify(e)); console.error('to stderr'); process.stdout.write('no newline at the end')`;

/** Rank → the environment its child printed (lines look like `[rank r] {...}`). */
function environments(lines: readonly string[]): Map<number, Record<string, string>> {
  const out = new Map<number, Record<string, string>>();
  for (const line of lines) {
    const match = /^\[rank (\d+)\] (\{.*\})$/.exec(line);
    if (match) out.set(Number(match[1]), JSON.parse(match[2]!));
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('falcon-h1 launch', () => {
  it('gives each of 3 processes its rank, its device and the group, and prefixes their output', async () => {
    const io = collector();
    const code = await m.main(
      ['launch', '--nproc-per-node', '3', '--master-port', '29611', '--', 'node', '-e', PRINT_ENV],
      io,
    );
    expect(code).toBe(0);
    const envs = environments(io.stdout);
    expect([...envs.keys()].sort()).toEqual([0, 1, 2]);
    for (const [rank, env] of envs) {
      expect(env).toEqual({
        RANK: `${rank}`,
        LOCAL_RANK: `${rank}`,
        WORLD_SIZE: '3',
        LOCAL_WORLD_SIZE: '3',
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: '29611',
        FALCON_H1_CUDA_DEVICE: `${rank}`,
        NCCL_NVLS_ENABLE: '0',
      });
      expect(io.stdout).toContain(`[rank ${rank}] no newline at the end`);
      expect(io.stderr).toContain(`[rank ${rank}] to stderr`);
    }
  });

  it('numbers the ranks of the second of two nodes after the first', async () => {
    const io = collector();
    const args = ['--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '1', '--master-addr', '10.1.2.3'];
    expect(await m.main(['launch', ...args, '--', 'node', '-e', PRINT_ENV], io)).toBe(0);
    const envs = environments(io.stdout);
    expect([...envs.keys()].sort()).toEqual([2, 3]);
    expect(envs.get(3)).toMatchObject({ RANK: '3', LOCAL_RANK: '1', WORLD_SIZE: '4', MASTER_ADDR: '10.1.2.3' });
    expect(envs.get(3)).toMatchObject({ FALCON_H1_CUDA_DEVICE: '1', MASTER_PORT: '29500' });
  });

  it('stops the other processes when one fails, and exits 1', async () => {
    const io = collector();
    // Every rank prints its pid, then leaves it in a folder; rank 1 fails once all three are there (so all have
    // started and printed: a write to a pipe is synchronous), and ranks 0 and 2 would run for a minute and then
    // print 'finished'.
    const dir = mkdtempSync(join(tmpdir(), 'cli-launch-'));
    const script = [
      "const fs = require('node:fs');",
      `const dir = ${JSON.stringify(dir)};`,
      "console.log('pid ' + process.pid);",
      "fs.writeFileSync(dir + '/' + process.env.RANK, String(process.pid));",
      "if (process.env.RANK === '1') setInterval(() => { if (fs.readdirSync(dir).length === 3) process.exit(3); }, 20);",
      "else setTimeout(() => console.log('finished'), 60000);",
    ].join('\n');
    const code = await m.main(['launch', '--nproc-per-node', '3', '--', 'node', '-e', script], io);
    expect(code).toBe(1);
    expect(io.stderr).toContain('falcon-h1 launch: rank 1 exited with code 3; stopping the other processes');
    expect(io.stdout.some((line) => line.includes('finished'))).toBe(false);
    const pids = io.stdout.flatMap((line) => /^\[rank \d\] pid (\d+)$/.exec(line)?.[1] ?? []).map(Number);
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('reports a command that cannot start', async () => {
    const io = collector();
    const code = await m.main(['launch', '--nproc-per-node', '2', '--', 'falcon-h1-no-such-program'], io);
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/cannot start 'falcon-h1-no-such-program'.*ENOENT/);
  });

  it.each([
    [['--', 'node'], /--nproc-per-node is required/],
    [['--nproc-per-node', '2'], /no command to launch/],
    [['--nproc-per-node', '0', '--', 'node'], /--nproc-per-node must be an integer ≥ 1, got '0'/],
    [['--nproc-per-node', '2', 'node'], /put the command after '--'/],
    [['--nproc-per-node', '2', '--node-rank', '1', '--', 'node'], /--node-rank 1 is outside --nnodes 1/],
    [['--nproc-per-node', '2', '--master-port', '99999', '--', 'node'], /--master-port 99999 is not a TCP port/],
  ])('refuses %j with a usage error', async (args, message) => {
    const io = collector();
    expect(await m.main(['launch', ...args], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
  });
});

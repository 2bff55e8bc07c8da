/**
 * `falcon-h1 launch`: starts one process per GPU of this node for a multi-process group (torchrun's role). Each
 * process gets the environment @falcon-h1/parallelism/node's `initProcessGroup` reads — RANK, LOCAL_RANK,
 * WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT — plus FALCON_H1_CUDA_DEVICE=LOCAL_RANK (its GPU) and
 * NCCL_NVLS_ENABLE=0 (NVLink multicast stays off). Output lines are prefixed with the rank; when a process fails
 * the others are stopped (a group cannot go on without a member) and the launcher exits non-zero.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import type { Io } from '../io.js';

const USAGE = [
  'Usage: falcon-h1 launch --nproc-per-node <n> [options] -- <command> [args...]',
  '',
  'Starts <n> copies of <command> on this node, one per GPU, as ranks of one process group.',
  'Each gets RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT,',
  'FALCON_H1_CUDA_DEVICE=LOCAL_RANK and NCCL_NVLS_ENABLE=0. Output lines are prefixed with "[rank r]".',
  'If one process fails, the others are stopped and the launcher exits with code 1.',
  '',
  'Options:',
  '  --nproc-per-node <n>    processes on this node (one per GPU)',
  '  --nnodes <n>            nodes in the group (default 1)',
  '  --node-rank <i>         this node, 0 … nnodes − 1 (default 0)',
  '  --master-addr <host>    address of the node running rank 0 (default 127.0.0.1)',
  '  --master-port <port>    its rendezvous port (default 29500)',
].join('\n');

/** Seconds a stopped process gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5_000;

class UsageError extends Error {}

export interface LaunchPlan {
  readonly nprocPerNode: number;
  readonly nnodes: number;
  readonly nodeRank: number;
  readonly masterAddr: string;
  readonly masterPort: number;
  readonly command: readonly string[];
}

function count(text: string | undefined, flag: string, fallback: number | undefined, min: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`${flag} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${text}'`);
  return Number(text);
}

/** Parses `launch`'s arguments: options, then `--`, then the command. */
export function parseLaunch(args: readonly string[]): LaunchPlan {
  const dash = args.indexOf('--');
  const command = dash >= 0 ? args.slice(dash + 1) : [];
  const { values, positionals } = parseArgs({
    args: [...(dash >= 0 ? args.slice(0, dash) : args)],
    options: {
      'nproc-per-node': { type: 'string' },
      nnodes: { type: 'string' },
      'node-rank': { type: 'string' },
      'master-addr': { type: 'string' },
      'master-port': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`put the command after '--' (got '${positionals[0]}' before it)`);
  if (command.length === 0) throw new UsageError("no command to launch (give it after '--')");
  const nprocPerNode = count(values['nproc-per-node'], '--nproc-per-node', undefined, 1);
  const nnodes = count(values.nnodes, '--nnodes', 1, 1);
  const nodeRank = count(values['node-rank'], '--node-rank', 0, 0);
  if (nodeRank >= nnodes) throw new UsageError(`--node-rank ${nodeRank} is outside --nnodes ${nnodes}`);
  const masterPort = count(values['master-port'], '--master-port', 29500, 1);
  if (masterPort > 65535) throw new UsageError(`--master-port ${masterPort} is not a TCP port`);
  const masterAddr = values['master-addr'] ?? '127.0.0.1';
  return { nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, command };
}

/** The environment of local process `localRank` (on top of the launcher's own). */
export function rankEnvironment(plan: LaunchPlan, localRank: number): Record<string, string> {
  return {
    RANK: `${plan.nodeRank * plan.nprocPerNode + localRank}`,
    LOCAL_RANK: `${localRank}`,
    WORLD_SIZE: `${plan.nnodes * plan.nprocPerNode}`,
    LOCAL_WORLD_SIZE: `${plan.nprocPerNode}`,
    MASTER_ADDR: plan.masterAddr,
    MASTER_PORT: `${plan.masterPort}`,
    FALCON_H1_CUDA_DEVICE: `${localRank}`,
    NCCL_NVLS_ENABLE: '0',
  };
}

/** Writes each complete line of `stream` through `write` with `prefix`; the last partial line when it ends. */
function prefixLines(stream: NodeJS.ReadableStream, prefix: string, write: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) write(`${prefix}${line}`);
  });
  stream.on('end', () => {
    if (pending) write(`${prefix}${pending}`);
    pending = '';
  });
}

/** Runs the plan's processes; resolves 0 when all exit 0, else 1 after stopping the rest. */
export function runLaunch(plan: LaunchPlan, io: Io): Promise<number> {
  return new Promise((resolve) => {
    const children: ChildProcess[] = [];
    const running = new Set<number>();
    let failed = false;
    let killTimer: NodeJS.Timeout | undefined;

    const stopOthers = (): void => {
      for (const r of running) children[r]!.kill('SIGTERM');
      killTimer = setTimeout(() => {
        for (const r of running) children[r]!.kill('SIGKILL');
      }, KILL_GRACE_MS);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      io.err(`falcon-h1 launch: ${signal}: stopping every process`);
      failed = true;
      stopOthers();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const exited = (local: number, rank: number, code: number | null, signal: NodeJS.Signals | null): void => {
      if (!running.delete(local)) return;
      if (code !== 0 && !failed) {
        failed = true;
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        io.err(`falcon-h1 launch: rank ${rank} ${how}; stopping the other processes`);
        stopOthers();
      }
      if (running.size === 0) {
        clearTimeout(killTimer);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve(failed ? 1 : 0);
      }
    };

    const [file, ...args] = plan.command;
    for (let local = 0; local < plan.nprocPerNode; local++) {
      const env = rankEnvironment(plan, local);
      const rank = Number(env.RANK);
      const child = spawn(file!, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      running.add(local);
      prefixLines(child.stdout!, `[rank ${rank}] `, io.out);
      prefixLines(child.stderr!, `[rank ${rank}] `, io.err);
      child.on('error', (error) => {
        io.err(`falcon-h1 launch: rank ${rank}: cannot start '${file}': ${error.message}`);
        exited(local, rank, 127, null);
      });
      // 'close' (not 'exit'): the output streams are drained by then, so no line comes after the verdict.
      child.on('close', (code, signal) => exited(local, rank, code, signal));
    }
  });
}

export const launchCommand: Command = {
  name: 'launch',
  summary: 'Start one process per GPU as a multi-process group (NCCL)',
  usage: USAGE,
  async run(args, { io }) {
    let plan: LaunchPlan;
    try {
      plan = parseLaunch(args);
    } catch (error) {
      io.err(`falcon-h1 launch: ${(error as Error).message}`);
      io.err("Run 'falcon-h1 launch --help' for the options.");
      return 2;
    }
    return runLaunch(plan, io);
  },
};

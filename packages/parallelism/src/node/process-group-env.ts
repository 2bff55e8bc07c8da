/**
 * The environment a launcher (`falcon-h1 launch`, torchrun) gives each process of a group: RANK and WORLD_SIZE
 * (required), LOCAL_RANK (default: RANK), MASTER_ADDR (default 127.0.0.1) and MASTER_PORT (default 29500).
 * Bad values are refused with a message naming the variable.
 */
export interface ProcessGroupEnv {
  readonly rank: number;
  readonly worldSize: number;
  /** This process's index on its node (its device, FALCON_H1_CUDA_DEVICE). */
  readonly localRank: number;
  readonly masterAddr: string;
  readonly masterPort: number;
}

export const DEFAULT_MASTER_ADDR = '127.0.0.1';
export const DEFAULT_MASTER_PORT = 29500;

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback?: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`${name} is not set (start the processes with \`falcon-h1 launch\` or set RANK and WORLD_SIZE)`);
  }
  if (!/^\s*\d+\s*$/.test(text)) throw new Error(`${name}=${JSON.stringify(text)} is not a non-negative integer`);
  return Number(text);
}

/** Reads and checks the process-group variables of `env` (default: process.env). */
export function processGroupEnv(env: Env = process.env): ProcessGroupEnv {
  const worldSize = integer(env, 'WORLD_SIZE');
  if (worldSize < 1) throw new Error('WORLD_SIZE=0: a group has at least one process');
  const rank = integer(env, 'RANK');
  if (rank >= worldSize)
    throw new Error(`RANK=${rank} is outside WORLD_SIZE=${worldSize} (ranks are 0 … ${worldSize - 1})`);
  const localRank = integer(env, 'LOCAL_RANK', rank);
  const masterPort = integer(env, 'MASTER_PORT', DEFAULT_MASTER_PORT);
  if (masterPort < 1 || masterPort > 65535) throw new Error(`MASTER_PORT=${masterPort} is not a TCP port (1 … 65535)`);
  const masterAddr = env.MASTER_ADDR?.trim() || DEFAULT_MASTER_ADDR;
  return { rank, worldSize, localRank, masterAddr, masterPort };
}

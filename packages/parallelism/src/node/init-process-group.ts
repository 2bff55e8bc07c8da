/**
 * initProcessGroup: this process's communicator over its backend's collectives (NCCL), from the launcher's
 * environment — torch.distributed.init_process_group's role. Rank 0 makes the NCCL unique id, the rendezvous hands
 * it to the others, then every rank joins (NCCL's init returns when all have).
 */
import { type Backend, getBackend } from '@falcon-h1/core-tensor';
import { BackendCommunicator } from '../backend-communicator.js';
import { type ProcessGroupEnv, processGroupEnv } from './process-group-env.js';
import { rendezvous } from './rendezvous.js';

export interface InitProcessGroupOptions {
  /** The backend whose collectives carry the group (default: core's current backend). */
  readonly backend?: Backend;
  /** Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Rendezvous timeout (default 120 s). */
  readonly timeoutMs?: number;
}

export async function initProcessGroup(
  options: InitProcessGroupOptions = {},
): Promise<BackendCommunicator & { readonly env: ProcessGroupEnv }> {
  const backend = options.backend ?? getBackend();
  const collectives = backend.collectives;
  if (!collectives) {
    throw new Error(
      `initProcessGroup: backend '${backend.name}' has no collectives (process groups need the CUDA backend)`,
    );
  }
  const env = processGroupEnv(options.env);
  const id = await rendezvous(
    {
      host: env.masterAddr,
      port: env.masterPort,
      rank: env.rank,
      worldSize: env.worldSize,
      timeoutMs: options.timeoutMs,
    },
    () => collectives.uniqueId(),
  );
  const comm = BackendCommunicator.init(backend, id, env.rank, env.worldSize);
  return Object.assign(comm, { env });
}

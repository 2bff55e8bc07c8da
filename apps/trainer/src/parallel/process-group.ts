/**
 * Joining the process group a launcher made (`falcon-h1 launch --nproc-per-node N -- falcon-h1 train …`, or
 * torchrun's variables): when RANK or WORLD_SIZE is in the environment, the run is one rank of a data-parallel
 * group and meets the others through @falcon-h1/parallelism's `initProcessGroup` (TCP rendezvous, then the
 * backend's collectives — NCCL on CUDA). A backend without collectives cannot carry a group: refused by name, so
 * a rank never silently trains alone on its share.
 */
import type { Communicator } from '@falcon-h1/parallelism';
import { initProcessGroup, processGroupEnv } from '@falcon-h1/parallelism/node';
import type { StartedBackend } from '../backend/start-backend.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A communicator of the group, and how to leave it at the end of the run. */
export interface JoinedGroup {
  comm: Communicator;
  leave(): void;
}

/** Whether the environment asks for a process group (a launcher set RANK or WORLD_SIZE). */
export function processGroupRequested(env: Env): boolean {
  return env.RANK !== undefined || env.WORLD_SIZE !== undefined;
}

/** Joins the group of `env` on the started backend (which must have collectives). */
export async function joinProcessGroup(started: StartedBackend, env: Env): Promise<JoinedGroup> {
  const group = processGroupEnv(env); // RANK, WORLD_SIZE, … checked, errors naming the variable
  if (started.backend.collectives === undefined) {
    throw new Error(
      `data-parallel training (RANK=${group.rank}, WORLD_SIZE=${group.worldSize}): backend '${started.name}' has no collectives; a process group needs a backend with collectives (--backend cuda, NCCL)`,
    );
  }
  const comm = await initProcessGroup({ backend: started.backend, env });
  return { comm, leave: () => comm.destroy() };
}

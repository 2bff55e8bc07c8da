/**
 * @falcon-h1/parallelism/node — multi-process groups (Node only: the rendezvous uses TCP sockets):
 * `initProcessGroup` reads the launcher's environment, meets the other ranks and returns a `BackendCommunicator`.
 */
export { BackendCommunicator } from './backend-communicator.js';
export { type InitProcessGroupOptions, initProcessGroup } from './node/init-process-group.js';
export {
  DEFAULT_MASTER_ADDR,
  DEFAULT_MASTER_PORT,
  type ProcessGroupEnv,
  processGroupEnv,
} from './node/process-group-env.js';
export {
  joinRendezvous,
  type RendezvousOptions,
  rendezvous,
  type ServeOptions,
  serveRendezvous,
} from './node/rendezvous.js';

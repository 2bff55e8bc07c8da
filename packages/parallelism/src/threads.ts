/**
 * @falcon-h1/parallelism/threads — the in-process collective over Node worker threads (tests on CPU). A separate
 * entry because it imports `node:worker_threads`; the main entry stays platform-neutral.
 */
export { ThreadCommunicator } from './thread/thread-communicator.js';
export { launchThreadWorld, runThreadRank, type ThreadWorldOptions } from './thread/thread-world.js';

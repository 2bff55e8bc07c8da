/**
 * A rank of a data-parallel training run in the thread world (@falcon-h1/parallelism/threads): the same
 * `runTraining` as `falcon-h1 train`, given the world's communicator instead of a process group. Bundled by
 * data-parallel.test.ts with esbuild (workers load JavaScript only). Each worker registers its own backends.
 */
import '@falcon-h1/backend-reference';
import { memory } from '@falcon-h1/core-tensor';
import { runThreadRank } from '@falcon-h1/parallelism/threads';
import { loadTrainConfig, runTraining } from '../../src/index.js';

export interface TrainRankInput {
  configFile: string;
  resume?: boolean;
}

runThreadRank(async (comm, input) => {
  const { configFile, resume } = input as TrainRankInput;
  const before = memory().numTensors;
  const result = await runTraining(loadTrainConfig(configFile), { comm, resume, output: { line: () => {} } });
  return { ...result, leakedTensors: memory().numTensors - before };
});

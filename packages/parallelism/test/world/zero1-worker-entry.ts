/**
 * The worker side of zero1-adamw.test.ts's worlds (the shared worker-entry.ts's scenarios aside): registers the
 * reference backend, runs the ZeRO-1 scenario the launcher names, and checks that it left no tensor behind.
 */
import '@falcon-h1/backend-reference';
import { memory } from '@falcon-h1/core-tensor';
import { runThreadRank } from '../../src/threads.js';
import { zero1RefusalsScenario, zero1Scenario } from './zero1-scenario.js';

runThreadRank(async (comm, input) => {
  const { scenario, ...rest } = input as { scenario: 'zero1' | 'refusals' } & Record<string, unknown>;
  const before = memory();
  const result = scenario === 'zero1' ? await zero1Scenario(comm, rest) : await zero1RefusalsScenario(comm);
  const after = memory();
  if (after.numTensors !== before.numTensors || after.numBuffers !== before.numBuffers) {
    throw new Error(
      `${scenario} leaked ${after.numTensors - before.numTensors} tensors, ${after.numBuffers - before.numBuffers} buffers`,
    );
  }
  return result;
});

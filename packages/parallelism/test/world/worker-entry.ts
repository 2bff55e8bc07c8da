/**
 * The worker side of the test worlds: registers the reference backend and runs the scenario the launcher names.
 * A scenario must leave no tensor behind (it disposes its model, batch and results): the layouts' tapes,
 * buckets and collectives are checked for leaks on every rank this way.
 */
import '@falcon-h1/backend-reference';
import { memory } from '@falcon-h1/core-tensor';
import { runThreadRank } from '../../src/threads.js';
import { SCENARIOS, type ScenarioInput, type ScenarioName } from './scenarios.js';

runThreadRank(async (comm, input) => {
  const { scenario, ...rest } = input as ScenarioInput & { scenario: ScenarioName };
  const before = memory();
  const result = await SCENARIOS[scenario](comm, rest);
  const after = memory();
  if (after.numTensors !== before.numTensors || after.numBuffers !== before.numBuffers) {
    throw new Error(
      `scenario ${scenario} leaked ${after.numTensors - before.numTensors} tensors, ${after.numBuffers - before.numBuffers} buffers`,
    );
  }
  return result;
});

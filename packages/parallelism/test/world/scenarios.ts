/** Every scenario a test world can run, by name: (communicator, input) → a structured-clonable result. */
import type { Communicator } from '../../src/index.js';
import { collectivesScenario, mismatchScenario, overlappedScenario } from './collectives-scenario.js';
import { contextParallelScenario } from './context-parallel-scenario.js';
import { dataParallelScenario } from './data-parallel-scenario.js';
import { hostReadsScenario } from './host-reads-scenario.js';
import { pipelineScenario } from './pipeline-scenario.js';
import { sharedGradientsScenario } from './shared-gradients-scenario.js';
import { tensorParallelScenario } from './tensor-parallel-scenario.js';

export type ScenarioInput = Record<string, unknown>;
type Scenario = (comm: Communicator, input: ScenarioInput) => Promise<unknown>;

export const SCENARIOS = {
  collectives: collectivesScenario,
  overlapped: overlappedScenario,
  mismatch: mismatchScenario,
  dataParallel: dataParallelScenario,
  tensorParallel: tensorParallelScenario,
  sharedGradients: sharedGradientsScenario,
  contextParallel: contextParallelScenario,
  pipeline: pipelineScenario,
  hostReads: hostReadsScenario,
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;

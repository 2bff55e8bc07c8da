/**
 * The shared-gradient sums four ways on the same partial gradients of one step: the bucketed device path (the
 * default: one bucket at this size), buckets of a few parameters each, one all-reduce per parameter, and the host
 * reference (host-shared-sum.ts). Returns each path's gradient pieces and the size of the plan.
 */
import { copy, dispose, type Tensor, type Variable } from '@falcon-h1/core-tensor';
import {
  type Communicator,
  disposeTokenBatch,
  sumSharedGradients,
  tensorParallelBatch,
  tensorParallelForwardBackward,
  tokenBatch,
} from '../../src/index.js';
import { hostSharedGradientSum } from './host-shared-sum.js';
import { wholeBatch } from './model-setup.js';
import {
  buildScenarioModel,
  type GradientPiece,
  gradientPieces,
  type TensorParallelInput,
} from './tensor-parallel-scenario.js';

export async function sharedGradientsScenario(comm: Communicator, input: Record<string, unknown>): Promise<unknown> {
  const options = input as TensorParallelInput;
  const model = buildScenarioModel(options, comm);
  const host = wholeBatch(options);
  const whole = tokenBatch(host);
  const own = tensorParallelBatch(model, comm, host);
  const { gradients } = await tensorParallelForwardBackward(comm, model, whole, own, { sumSharedGradients: false });
  const clone = () => new Map<Variable, Tensor>([...gradients].map(([p, g]) => [p, copy(g)]));
  const paths: Record<string, (g: Map<Variable, Tensor>) => Promise<void>> = {
    bucketed: (g) => sumSharedGradients(comm, model, g),
    perTensor: (g) => sumSharedGradients(comm, model, g, { bucketElements: 1 }),
    smallBuckets: (g) => sumSharedGradients(comm, model, g, { bucketElements: 3000 }),
    host: (g) => hostSharedGradientSum(comm, model, g),
  };
  const pieces: Record<string, GradientPiece[]> = {};
  for (const [name, run] of Object.entries(paths)) {
    const g = clone();
    await run(g);
    pieces[name] = await gradientPieces(model, g);
    dispose([...g.values()]);
  }
  const { entries, elements } = model.sharedGradients;
  dispose([...gradients.values(), ...model.parameters.values()]);
  disposeTokenBatch(whole);
  if (own !== whole) disposeTokenBatch(own);
  return { pieces, sharedParameters: entries.length, sharedElements: elements };
}

/**
 * How many tensors a layout's training step reads back to the host, apart from the tensors it hands to its
 * communicator (the thread communicator must read those to move them; NCCL does not). On a GPU every such read
 * drains the stream and stalls the host's queue of kernels, so a step should read the loss once, at its end.
 * Counted by wrapping `Tensor.prototype.data` for the duration of one step.
 */
import { dispose, type Tensor, Tensor as TensorClass, type Variable } from '@falcon-h1/core-tensor';
import {
  type Communicator,
  contextParallelBatch,
  contextParallelForwardBackward,
  cutBatch,
  dataParallelBackward,
  disposeTokenBatch,
  evenRange,
  pipelineForwardBackward,
  type RecvOp,
  type ReduceOp,
  type SendOp,
  tensorParallelBatch,
  tensorParallelForwardBackward,
  tokenBatch,
} from '../../src/index.js';
import { BATCH, buildModel, type ModelInput, wholeBatch } from './model-setup.js';
import { buildScenarioModel, type TensorParallelInput } from './tensor-parallel-scenario.js';

/** The same communicator, remembering every tensor handed to it. */
class RecordingCommunicator implements Communicator {
  readonly handed = new WeakSet<Tensor>();
  constructor(private readonly inner: Communicator) {}
  get rank(): number {
    return this.inner.rank;
  }
  get worldSize(): number {
    return this.inner.worldSize;
  }
  allReduce(x: Tensor, op?: ReduceOp): Promise<Tensor> {
    this.handed.add(x);
    return this.inner.allReduce(x, op);
  }
  reduceScatter(x: Tensor, op?: ReduceOp): Promise<Tensor> {
    this.handed.add(x);
    return this.inner.reduceScatter(x, op);
  }
  allGather(x: Tensor): Promise<Tensor> {
    this.handed.add(x);
    return this.inner.allGather(x);
  }
  broadcast(x: Tensor, root: number): Promise<Tensor> {
    this.handed.add(x);
    return this.inner.broadcast(x, root);
  }
  send(x: Tensor, dst: number): Promise<void> {
    this.handed.add(x);
    return this.inner.send(x, dst);
  }
  recv(src: number, shape: readonly number[], dtype: Tensor['dtype']): Promise<Tensor> {
    return this.inner.recv(src, shape, dtype);
  }
  exchange(sends: readonly SendOp[], recvs: readonly RecvOp[]): Promise<Tensor[]> {
    for (const { x } of sends) this.handed.add(x);
    return this.inner.exchange(sends, recvs);
  }
  barrier(): Promise<void> {
    return this.inner.barrier();
  }
  split(color: number, key?: number): Promise<Communicator> {
    return this.inner.split(color, key);
  }
}

/** Runs `step` counting host reads of tensors not handed to `comm`. */
async function countReads<T>(comm: RecordingCommunicator, step: () => Promise<T>): Promise<[T, number]> {
  const original = TensorClass.prototype.data;
  let reads = 0;
  TensorClass.prototype.data = function (this: Tensor) {
    if (!comm.handed.has(this)) reads++;
    return original.call(this);
  } as typeof original;
  try {
    return [await step(), reads];
  } finally {
    TensorClass.prototype.data = original;
  }
}

export async function hostReadsScenario(world: Communicator, input: Record<string, unknown>): Promise<unknown> {
  const options = input as TensorParallelInput & { what: 'tensor' | 'pipeline' | 'context' | 'data' };
  const comm = new RecordingCommunicator(world);
  const host = wholeBatch(options);
  if (options.what === 'tensor') {
    const model = buildScenarioModel(options, comm);
    const whole = tokenBatch(host);
    const own = tensorParallelBatch(model, comm, host);
    const [{ gradients }, reads] = await countReads(comm, () => tensorParallelForwardBackward(comm, model, whole, own));
    dispose([...gradients.values(), ...model.parameters.values()]);
    disposeTokenBatch(whole);
    if (own !== whole) disposeTokenBatch(own);
    return { reads };
  }
  const model = buildModel(options as ModelInput);
  let reads: number;
  let gradients: Map<Variable, Tensor>;
  if (options.what === 'pipeline') {
    const microBatches = Array.from({ length: BATCH }, (_, row) => tokenBatch(cutBatch(host, [row, row + 1])));
    [{ gradients }, reads] = await countReads(comm, () => pipelineForwardBackward(comm, model, microBatches));
    for (const b of microBatches) disposeTokenBatch(b);
  } else if (options.what === 'context') {
    const batch = contextParallelBatch(host, comm);
    [{ gradients }, reads] = await countReads(comm, () => contextParallelForwardBackward(comm, model, batch));
    dispose(batch.keySeqIdx ? [batch.keySeqIdx] : []);
    disposeTokenBatch(batch);
  } else {
    const batch = tokenBatch(cutBatch(host, evenRange(BATCH, comm.worldSize, comm.rank, 'rows')));
    [gradients, reads] = await countReads(comm, async () => {
      const { buckets } = await dataParallelBackward(comm, model, batch);
      return buckets.summedGradients();
    });
    disposeTokenBatch(batch);
  }
  dispose([...gradients.values()]);
  model.dispose();
  return { reads };
}

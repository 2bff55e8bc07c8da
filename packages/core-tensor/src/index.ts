/**
 * @falcon-h1/core-tensor — Tensor, dtypes, memory scopes, autograd, safetensors and the Backend kernel contract.
 */
import './register-all-gradients.js';

export { type CheckpointOutputs, checkpoint } from './activation-checkpoint.js';
export { type Cotangents, grads, type Outputs, type VjpResult, valueAndGrads, vjp } from './autograd.js';
export * from './backend-registry.js';
export * from './dtype.js';
export {
  type AsTensor,
  dispose,
  ENGINE,
  type Engine,
  type GradFunc,
  getGradient,
  keep,
  type MemoryInfo,
  memory,
  noGrad,
  registerGradient,
  storageToValues,
  type Tape,
  type TapeNode,
  type TensorInputs,
  type TensorOutputs,
  tidy,
} from './engine.js';
export {
  type Composition,
  compositionVjp,
  dispatchCounts,
  fusedGradient,
  type NativeGrad,
  nativeSupport,
  recordDispatch,
  resetDispatchCounts,
  runFused,
  setFallbackPolicy,
} from './fused-dispatch.js';
export {
  type CapturedGraph,
  type CapturedOutputs,
  canCaptureGraphs,
  captureGraph,
  overwrite,
} from './graph-capture.js';
export * from './half.js';
export * from './kernel-contract.js';
export * from './ops/index.js';
export * from './optim/index.js';
export * from './safetensors/index.js';
export * from './shape-rules.js';
export { Tensor, Variable } from './tensor.js';

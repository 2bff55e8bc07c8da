/** Training: AdamW over parameter groups, gradient clipping and accumulation, loss scaling, f32 master weights. */
export {
  AdamW,
  type AdamWGroup,
  type AdamWGroupOptions,
  type AdamWOptions,
  type AdamWParameterState,
  type AdamWState,
} from './adamw-optimizer.js';
export { type ClipResult, clipGradNorm, globalGradNorm } from './clip-grad-norm.js';
export { GradAccumulator } from './grad-accumulator.js';
export { allFinite, LossScaler, type LossScalerOptions, type LossScalerState } from './loss-scaler.js';
export { MasterWeights } from './master-weights.js';

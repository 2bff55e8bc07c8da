/**
 * The mixer's parameters under transformers' names (relative to `model.layers.N.mamba.`) and shapes, and the
 * function type through which a mixer receives them. One list serves the loader, the saver, random initialisation
 * and the parameter count.
 */
import type { Variable } from '@falcon-h1/core-tensor';
import { type FalconH1MixerConfig, mixerSizes } from './mixer-config.js';

export interface ParameterShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Hands a module the variable stored under `name` (relative to the module), checked against `shape`. */
export type ParameterProvider = (name: string, shape: readonly number[]) => Variable;

export function mixerParameterShapes(config: FalconH1MixerConfig): ParameterShape[] {
  const { dSsm, convDim, projectionWidth } = mixerSizes(config);
  const h = config.mamba_n_heads;
  const shapes: ParameterShape[] = [{ name: 'in_proj.weight', shape: [projectionWidth, config.hidden_size] }];
  if (config.mamba_proj_bias) shapes.push({ name: 'in_proj.bias', shape: [projectionWidth] });
  // nn.Conv1d(groups = channels) stores its depthwise kernel as [channels, 1, K].
  shapes.push({ name: 'conv1d.weight', shape: [convDim, 1, config.mamba_d_conv] });
  if (config.mamba_conv_bias) shapes.push({ name: 'conv1d.bias', shape: [convDim] });
  shapes.push({ name: 'dt_bias', shape: [h] }, { name: 'A_log', shape: [h] }, { name: 'D', shape: [h] });
  if (config.mamba_rms_norm) shapes.push({ name: 'norm.weight', shape: [dSsm] });
  shapes.push({ name: 'out_proj.weight', shape: [config.hidden_size, dSsm] });
  if (config.projectors_bias) shapes.push({ name: 'out_proj.bias', shape: [config.hidden_size] });
  return shapes;
}

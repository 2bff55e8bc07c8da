/**
 * Random Falcon-H1 parameters for tests and experiments, drawn like the golden fixtures' `generate.py` draws
 * them: non-trivial norms and D (1 + 0.2·N(0,1)), A_log = log(U(1, 8)), dt_bias ~ U(−3, 1), every other
 * matrix N(0, 1)/√fan_in. Deterministic for a seed.
 */
import { type Backend, type DType, tensor, tensorFromStorage, type Variable, variable } from '@falcon-h1/core-tensor';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import { FalconH1ForCausalLM } from './falcon-h1-for-causal-lm.js';
import { falconH1ParameterShapes } from './model-parameters.js';
import { seededRandom } from './seeded-random.js';

export interface RandomParameterOptions {
  seed?: number;
  /** Default f32. */
  dtype?: DType;
  backend?: Backend;
}

export function randomFalconH1Parameters(
  config: FalconH1Config,
  options: RandomParameterOptions = {},
): Map<string, Variable> {
  const rng = seededRandom(options.seed ?? 0);
  const dtype = options.dtype ?? 'f32';
  const parameters = new Map<string, Variable>();
  for (const { name, shape } of falconH1ParameterShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    // f32 is drawn straight into its storage (the same rounding as converting afterwards); other dtypes round once
    // from f64. The kind of draw is chosen once per tensor: at the 0.5B size, half a billion draws, the per-value
    // name tests used to cost as much as the draws themselves.
    const values = dtype === 'f32' ? new Float32Array(size) : new Float64Array(size);
    const fanIn = shape.length > 1 ? shape[shape.length - 1]! : 8;
    if (name.endsWith('A_log')) {
      for (let i = 0; i < size; i++) values[i] = Math.log(rng.next() * 7 + 1);
    } else if (name.endsWith('dt_bias')) {
      for (let i = 0; i < size; i++) values[i] = rng.next() * 4 - 3;
    } else if (name.includes('norm') || name.endsWith('.D')) {
      for (let i = 0; i < size; i++) values[i] = 1 + 0.2 * rng.normal();
    } else {
      const scale = Math.sqrt(fanIn);
      for (let i = 0; i < size; i++) values[i] = rng.normal() / scale;
    }
    const initial =
      values instanceof Float32Array
        ? tensorFromStorage(values, shape, 'f32', options.backend)
        : tensor(values, shape, dtype, options.backend);
    parameters.set(name, variable(initial, { name }));
    initial.dispose();
  }
  return parameters;
}

/** A model with random parameters (see `randomFalconH1Parameters`). */
export function randomFalconH1(config: FalconH1Config, options: RandomParameterOptions = {}): FalconH1ForCausalLM {
  return new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, options));
}

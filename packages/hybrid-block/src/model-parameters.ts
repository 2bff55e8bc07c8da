/**
 * Every parameter of a FalconH1ForCausalLM under its Hugging Face name, with its shape — the one list the loader,
 * the saver, random initialisation and the parameter count all read — and the provider that hands the modules
 * their variables from a name → Variable map, refusing missing, misshapen or leftover tensors by name.
 */
import type { Variable } from '@falcon-h1/core-tensor';
import type { ParameterProvider, ParameterShape } from '@falcon-h1/mamba2';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import { decoderLayerParameterShapes } from './falcon-h1-decoder-layer.js';

export function falconH1ParameterShapes(config: FalconH1Config): ParameterShape[] {
  const d = config.hidden_size;
  const shapes: ParameterShape[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocab_size, d] }];
  const layer = decoderLayerParameterShapes(config);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    for (const s of layer) shapes.push({ name: `model.layers.${i}.${s.name}`, shape: s.shape });
  }
  shapes.push({ name: 'model.final_layernorm.weight', shape: [d] });
  // A tied head reads model.embed_tokens.weight; transformers then saves no lm_head.weight.
  if (!config.tie_word_embeddings) shapes.push({ name: 'lm_head.weight', shape: [config.vocab_size, d] });
  return shapes;
}

/** The number of parameters, from the config alone (nothing is allocated). */
export function falconH1ParameterCount(config: FalconH1Config): number {
  let total = 0;
  for (const { shape } of falconH1ParameterShapes(config)) total += shape.reduce((a, b) => a * b, 1);
  return total;
}

const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * A provider over `parameters` (full HF names). Records what it hands out in `used`, so the caller can refuse
 * tensors that no module asked for.
 */
export function parameterProvider(parameters: ReadonlyMap<string, Variable>, used: Set<string>): ParameterProvider {
  return (name, shape) => {
    const variable = parameters.get(name);
    if (!variable) throw new Error(`missing parameter '${name}' (expected shape ${formatShape(shape)})`);
    if (variable.shape.length !== shape.length || variable.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`parameter '${name}' has shape ${formatShape(variable.shape)}, expected ${formatShape(shape)}`);
    }
    used.add(name);
    return variable;
  };
}

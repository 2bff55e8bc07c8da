/**
 * μP width scaling against a base shape (falcon-h1-reference.md §5: "Width scaling follows μP (learning rate
 * inversely proportional to width for matrix-like parameters)"). The rule is μP for Adam (Yang et al., Tensor
 * Programs V, Table 3, in its "multiplier on the readout" form, as the `mup` library implements it), per parameter,
 * with m = fan_in / base fan_in its width multiplier:
 *
 *   kind      parameters                                   Adam lr      init std
 *   hidden    in/out projections of both mixers, MLP      × 1/m        ∝ 1/√fan_in   (= base std / √m)
 *   input     embedding                                    × 1          base std (constant in width)
 *   output    lm_head (the forward lm_head_multiplier      × 1          base std (constant in width)
 *             carries the 1/m, see forward rules below)
 *   vector    norms, conv1d, dt_bias, A_log, D, biases    × 1          unchanged
 *
 * Depth is not width: the base may have another number of layers (parameters are matched by their name without
 * the layer index). The base must have the same layout, biases and gated norm as the model.
 */
import type { Backend, DType, Variable } from '@falcon-h1/core-tensor';
import { scale, tidy } from '@falcon-h1/core-tensor';
import { type FalconH1Config, falconH1ParameterShapes, randomFalconH1Parameters } from '@falcon-h1/hybrid-block';
import { type MupGroup, type MupKind, parameterGroup } from './parameter-groups.js';

export interface ParameterWidthScale {
  group: MupGroup;
  kind: MupKind;
  /** The last dimension (the input dimension of a linear weight). */
  fanIn: number;
  baseFanIn: number;
  /** fanIn / baseFanIn for hidden matrices, 1 for every other kind. */
  widthMultiplier: number;
  /** Multiplies the group's learning rate: 1/m for hidden matrices, 1 otherwise. */
  lrScale: number;
  /** Multiplies the base initialisation std: 1/√m for hidden matrices, 1 otherwise. */
  initStdScale: number;
}

/** `model.layers.7.mamba.in_proj.weight` → `model.layers.*.mamba.in_proj.weight`. */
const layerless = (name: string): string => name.replace(/^model\.layers\.\d+\./, 'model.layers.*.');

/** The μP scale of every parameter of `config` against `base` (Hugging Face name → scale). */
export function widthScaling(config: FalconH1Config, base: FalconH1Config): Map<string, ParameterWidthScale> {
  const baseShapes = new Map(falconH1ParameterShapes(base).map((s) => [layerless(s.name), s.shape]));
  const out = new Map<string, ParameterWidthScale>();
  for (const { name, shape } of falconH1ParameterShapes(config)) {
    const baseShape = baseShapes.get(layerless(name));
    if (!baseShape) {
      throw new Error(
        `widthScaling: the base shape has no parameter '${layerless(name)}' (same layout and biases needed)`,
      );
    }
    const { group, kind } = parameterGroup(name);
    const fanIn = shape[shape.length - 1]!;
    const baseFanIn = baseShape[baseShape.length - 1]!;
    const m = kind === 'hidden' ? fanIn / baseFanIn : 1;
    out.set(name, {
      group,
      kind,
      fanIn,
      baseFanIn,
      widthMultiplier: m,
      lrScale: 1 / m,
      initStdScale: 1 / Math.sqrt(m),
    });
  }
  return out;
}

/**
 * μP initial parameters of `config` against `base`: hidden matrices N(0, 1/fan_in) (which is base std / √m), the
 * embedding and lm_head N(0, 1/base hidden) — constant in width —, vector-like parameters as
 * `randomFalconH1Parameters` draws them. Deterministic for a seed.
 */
export function mupInitialParameters(
  config: FalconH1Config,
  base: FalconH1Config,
  options: { seed?: number; dtype?: DType; backend?: Backend } = {},
): Map<string, Variable> {
  const parameters = randomFalconH1Parameters(config, options);
  // randomFalconH1Parameters draws every matrix N(0, 1/fan_in) with fan_in its last dimension: already μP for
  // hidden matrices; the embedding and head (last dimension = hidden) are brought back to the base's std.
  const readoutScale = Math.sqrt(config.hidden_size / base.hidden_size);
  for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
    const p = parameters.get(name);
    if (p) tidy(() => p.assign(scale(p, readoutScale)));
  }
  return parameters;
}

/**
 * The forward multipliers of `target` from those of `base`, following the width rules the published Falcon-H1
 * configs obey (falcon-h1-reference.md §4: the 0.5B, 7B and 34B values follow from 1.5B-Deep's by these rules, to
 * the notes' six digits; checked in test/width-scaling.test.ts). With d the hidden size, a the attention width
 * heads·head_dim, h the head_dim, f the MLP width, s = d_ssm and N the state size:
 *
 *   lm_head ∝ 1/d   ssm_in ∝ 1/d   mlp_gate ∝ 1/d   mlp_down ∝ 1/(d·f)   attention_out ∝ 1/(d·a)
 *   key ∝ 1/(d²·√h)   ssm_out ∝ 1/s   ssm_B ∝ 1/N   embedding, attention_in, ssm_z/x/C/dt constant
 */
export function scaleForwardMultipliers(base: FalconH1Config, target: FalconH1Config): FalconH1Config {
  const r = base.hidden_size / target.hidden_size;
  const attention = (c: FalconH1Config): number => c.num_attention_heads * c.head_dim;
  const [gate, down] = base.mlp_multipliers;
  const [z, x, B, C, dt] = base.ssm_multipliers;
  return {
    ...target,
    embedding_multiplier: base.embedding_multiplier,
    attention_in_multiplier: base.attention_in_multiplier,
    lm_head_multiplier: base.lm_head_multiplier * r,
    ssm_in_multiplier: base.ssm_in_multiplier * r,
    key_multiplier: base.key_multiplier * r * r * Math.sqrt(base.head_dim / target.head_dim),
    attention_out_multiplier: base.attention_out_multiplier * r * (attention(base) / attention(target)),
    ssm_out_multiplier: base.ssm_out_multiplier * (base.mamba_d_ssm / target.mamba_d_ssm),
    mlp_multipliers: [gate * r, down * r * (base.intermediate_size / target.intermediate_size)],
    ssm_multipliers: [z, x, B * (base.mamba_d_state / target.mamba_d_state), C, dt],
  };
}

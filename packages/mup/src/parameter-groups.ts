/**
 * The seminar's parameter groups (falcon-h1-reference.md §5, "learning-rate multipliers per parameter group:
 * embedding, projector, mixer out_proj, mixer in_proj, MLP up/down/gate, the four RMSNorm groups (ssm+attn norm,
 * MLP norm, MLP gate norm, final norm), and the SSM 'bias-like' parameters conv1d.weight, conv1d.bias, dt_bias,
 * A_log, D") and the map from every Hugging Face parameter name of a FalconH1ForCausalLM to exactly one of them.
 *
 * Reading of the seminar's names, where the model has more than the list names:
 *  - "mixer" is a sequence mixer, attention or SSM (the seminar's word for both): `mixer_in_proj` holds the Mamba2
 *    `in_proj` and attention's `q_proj`/`k_proj`/`v_proj`, `mixer_out_proj` the Mamba2 `out_proj` and attention's
 *    `o_proj`;
 *  - "ssm+attn norm" is `input_layernorm` (the one pre-norm both mixers share in SA_M), and S_A_M's own
 *    `pre_attn_layernorm`; "MLP norm" is `pre_ff_layernorm`; "MLP gate norm" has no MLP counterpart in the model —
 *    the only other RMSNorm with a gate is the mixer's gated RMSNorm `mamba.norm` (y·silu(z) normalised), which is
 *    what it maps here (`norm_gate`); "final norm" is `final_layernorm`;
 *  - biases (off in every published size) join their projection's group.
 *
 * `kind` is the μP role (width-scaling.ts): `hidden` matrices have both dimensions growing with width; `input` is
 * the embedding (its fan-in, the vocabulary, does not grow); `output` is the head; everything else is `vector`-like.
 */

export const MUP_GROUPS = [
  'embedding',
  'lm_head',
  'mixer_in_proj',
  'mixer_out_proj',
  'mlp_up',
  'mlp_down',
  'mlp_gate',
  'norm_mixer',
  'norm_mlp',
  'norm_gate',
  'norm_final',
  'conv1d_weight',
  'conv1d_bias',
  'dt_bias',
  'A_log',
  'D',
] as const;

export type MupGroup = (typeof MUP_GROUPS)[number];

export type MupKind = 'input' | 'hidden' | 'output' | 'vector';

/** The seminar's wording for each group (README table, messages). */
export const MUP_GROUP_DESCRIPTIONS: Readonly<Record<MupGroup, string>> = {
  embedding: 'embedding',
  lm_head: 'projector (lm_head)',
  mixer_in_proj: 'mixer in_proj (Mamba2 in_proj, attention q/k/v)',
  mixer_out_proj: 'mixer out_proj (Mamba2 out_proj, attention o_proj)',
  mlp_up: 'MLP up',
  mlp_down: 'MLP down',
  mlp_gate: 'MLP gate',
  norm_mixer: 'ssm+attn norm (input_layernorm, pre_attn_layernorm)',
  norm_mlp: 'MLP norm (pre_ff_layernorm)',
  norm_gate: 'gate norm (the mixer’s gated RMSNorm, mamba.norm)',
  norm_final: 'final norm (final_layernorm)',
  conv1d_weight: 'SSM conv1d.weight',
  conv1d_bias: 'SSM conv1d.bias',
  dt_bias: 'SSM dt_bias',
  A_log: 'SSM A_log',
  D: 'SSM D',
};

const LAYER = String.raw`^model\.layers\.\d+\.`;

/** [pattern, group, kind of a weight (biases are always vector-like)]. */
const RULES: ReadonlyArray<readonly [RegExp, MupGroup, MupKind]> = [
  [/^model\.embed_tokens\.weight$/, 'embedding', 'input'],
  [/^lm_head\.weight$/, 'lm_head', 'output'],
  [/^model\.final_layernorm\.weight$/, 'norm_final', 'vector'],
  [new RegExp(`${LAYER}(input_layernorm|pre_attn_layernorm)\\.weight$`), 'norm_mixer', 'vector'],
  [new RegExp(`${LAYER}pre_ff_layernorm\\.weight$`), 'norm_mlp', 'vector'],
  [new RegExp(`${LAYER}mamba\\.in_proj\\.(weight|bias)$`), 'mixer_in_proj', 'hidden'],
  [new RegExp(`${LAYER}self_attn\\.[qkv]_proj\\.(weight|bias)$`), 'mixer_in_proj', 'hidden'],
  [new RegExp(`${LAYER}mamba\\.out_proj\\.(weight|bias)$`), 'mixer_out_proj', 'hidden'],
  [new RegExp(`${LAYER}self_attn\\.o_proj\\.(weight|bias)$`), 'mixer_out_proj', 'hidden'],
  [new RegExp(`${LAYER}feed_forward\\.up_proj\\.(weight|bias)$`), 'mlp_up', 'hidden'],
  [new RegExp(`${LAYER}feed_forward\\.down_proj\\.(weight|bias)$`), 'mlp_down', 'hidden'],
  [new RegExp(`${LAYER}feed_forward\\.gate_proj\\.(weight|bias)$`), 'mlp_gate', 'hidden'],
  [new RegExp(`${LAYER}mamba\\.norm\\.weight$`), 'norm_gate', 'vector'],
  [new RegExp(`${LAYER}mamba\\.conv1d\\.weight$`), 'conv1d_weight', 'vector'],
  [new RegExp(`${LAYER}mamba\\.conv1d\\.bias$`), 'conv1d_bias', 'vector'],
  [new RegExp(`${LAYER}mamba\\.dt_bias$`), 'dt_bias', 'vector'],
  [new RegExp(`${LAYER}mamba\\.A_log$`), 'A_log', 'vector'],
  [new RegExp(`${LAYER}mamba\\.D$`), 'D', 'vector'],
];

export interface ParameterGroupInfo {
  group: MupGroup;
  kind: MupKind;
}

/** The group and μP kind of a Hugging Face parameter name; an unknown name is refused. */
export function parameterGroup(name: string): ParameterGroupInfo {
  for (const [pattern, group, kind] of RULES) {
    if (pattern.test(name)) return { group, kind: name.endsWith('.bias') ? 'vector' : kind };
  }
  throw new Error(`parameterGroup: '${name}' is not a Falcon-H1 parameter this package knows (no μP group)`);
}

/** Parameter names by group (every group present, possibly empty), in the order given. */
export function groupParameterNames(names: Iterable<string>): Map<MupGroup, string[]> {
  const out = new Map<MupGroup, string[]>(MUP_GROUPS.map((g) => [g, []]));
  for (const name of names) out.get(parameterGroup(name).group)!.push(name);
  return out;
}

/**
 * The model side of a run: the Falcon-H1 config (a published size preset or a Hugging Face config.json, with
 * `overrides` merged over it key by key, then the μP table's forward multipliers), its initial parameters (μP
 * against `mup.base` when given), the μP table, and AdamW's parameter groups. hybrid-block parses and validates
 * the config exactly as a checkpoint's config.json.
 */
import { readFileSync } from 'node:fs';
import type { Backend, Variable } from '@falcon-h1/core-tensor';
import {
  type FalconH1Config,
  FalconH1ForCausalLM,
  type FalconH1Size,
  falconH1ConfigToJson,
  falconH1ParameterShapes,
  falconH1Preset,
  parseFalconH1Config,
  parsePythonJson,
  randomFalconH1Parameters,
} from '@falcon-h1/hybrid-block';
import {
  applyForwardTable,
  EMPTY_MUP_TABLE,
  type MupParamGroup,
  type MupTable,
  mupInitialParameters,
  mupParamGroups,
  parseMupTable,
  parseMupTableText,
  seminarMupTable,
} from '@falcon-h1/mup';
import { SEMINAR_TABLE, type ShapeSection, type TrainConfig } from '../config/train-config.js';

/** A preset or config.json with overrides → a validated config. `where` names the section in messages. */
export function resolveShape(section: ShapeSection, where: string): FalconH1Config {
  let base: Record<string, unknown>;
  let source: string;
  if (section.preset !== undefined) {
    base = falconH1ConfigToJson(falconH1Preset(section.preset as FalconH1Size).config);
    source = `${where}.preset ${section.preset}`;
  } else if (typeof section.config === 'string') {
    source = section.config;
    base = parsePythonJson(readFileSync(section.config, 'utf8')) as Record<string, unknown>;
  } else {
    base = section.config as Record<string, unknown>;
    source = `${where}.config`;
  }
  const merged = { ...base, ...(section.overrides ?? {}) };
  return parseFalconH1Config(merged, section.overrides ? `${source} with ${where}.overrides` : source);
}

export function loadMupTable(config: TrainConfig): MupTable {
  const table = config.mup?.table;
  if (table === undefined) return EMPTY_MUP_TABLE;
  if (table === SEMINAR_TABLE) return seminarMupTable();
  if (typeof table === 'string') return parseMupTableText(readFileSync(table, 'utf8'), table);
  return parseMupTable(table, 'mup.table');
}

/** The run's model config: the shape, then the μP table's forward multipliers. */
export function runModelConfig(config: TrainConfig, table: MupTable): FalconH1Config {
  return applyForwardTable(resolveShape(config.model, 'model'), table);
}

/** The μP base shape, when the config gives one. */
export function mupBase(config: TrainConfig): FalconH1Config | undefined {
  return config.mup?.base && resolveShape(config.mup.base, 'mup.base');
}

/** A freshly initialised model (deterministic for `model.seed`). */
export function initialModel(
  modelConfig: FalconH1Config,
  base: FalconH1Config | undefined,
  seed: number,
  backend: Backend,
) {
  const parameters = base
    ? mupInitialParameters(modelConfig, base, { seed, backend })
    : randomFalconH1Parameters(modelConfig, { seed, backend });
  return new FalconH1ForCausalLM(modelConfig, parameters);
}

/**
 * The model's parameters in the fixed order of falconH1ParameterShapes. A loaded model lists its parameters in file
 * order, a fresh one in shape order: optimizer groups (and so the summation order of the gradient norm) must not
 * depend on which, or a resumed run would round differently.
 */
export function orderedParameters(model: FalconH1ForCausalLM): Map<string, Variable> {
  const ordered = new Map<string, Variable>();
  for (const { name } of falconH1ParameterShapes(model.config)) {
    const p = model.parameters.get(name);
    if (p !== undefined) ordered.set(name, p);
  }
  return ordered;
}

/** AdamW groups: every parameter in its seminar group, lr/wd multipliers from the table and μP width scaling. */
export function parameterGroups(
  model: FalconH1ForCausalLM,
  table: MupTable,
  base: FalconH1Config | undefined,
): MupParamGroup[] {
  return mupParamGroups(model.config, orderedParameters(model), { table, ...(base ? { base } : {}) });
}

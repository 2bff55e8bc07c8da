/**
 * AdamW parameter groups for a Falcon-H1 model: every parameter in its seminar group (parameter-groups.ts), with
 * the group's learning-rate and weight-decay multipliers from a log2 table (multiplier-table.ts) times, with a base
 * shape, its μP learning-rate scale (width-scaling.ts):
 *
 *   lrMultiplier = 2^lr[group] · lrScale(parameter)        wdMultiplier = 2^wd[group]
 *
 * Parameters of one group with different μP scales (e.g. Mamba2 out_proj, fan-in d_ssm, and attention o_proj,
 * fan-in heads·head_dim) go to separate optimizer groups named `group` or `group×scale`. The weight decay is the
 * optimizer's decoupled lr·wd (PyTorch's AdamW), so a hidden matrix's decay per step shrinks with its lr.
 */
import type { AdamWGroupOptions, Variable } from '@falcon-h1/core-tensor';
import type { FalconH1Config } from '@falcon-h1/hybrid-block';
import { EMPTY_MUP_TABLE, lrMultiplier, type MupTable, wdMultiplier } from './multiplier-table.js';
import { MUP_GROUPS, type MupGroup, parameterGroup } from './parameter-groups.js';
import { widthScaling } from './width-scaling.js';

export interface MupParamGroupOptions {
  /** log2 lr/wd multipliers per group (default: all 0, i.e. 1). */
  table?: MupTable;
  /** The base shape for μP width scaling; without it, no width scaling. */
  base?: FalconH1Config;
}

export interface MupParamGroup extends AdamWGroupOptions {
  name: string;
  group: MupGroup;
  /** Hugging Face names of `params`, in order. */
  names: string[];
  lrMultiplier: number;
  wdMultiplier: number;
}

/**
 * Groups over `parameters` (Hugging Face name → variable: a model's `parameters`, or f32 master copies under the
 * same names), in MUP_GROUPS order. Every parameter lands in exactly one group; an unknown name is refused.
 */
export function mupParamGroups(
  config: FalconH1Config,
  parameters: ReadonlyMap<string, Variable>,
  options: MupParamGroupOptions = {},
): MupParamGroup[] {
  const table = options.table ?? EMPTY_MUP_TABLE;
  const scales = options.base ? widthScaling(config, options.base) : undefined;
  const byKey = new Map<string, MupParamGroup>();
  for (const [name, param] of parameters) {
    const { group } = parameterGroup(name);
    const lrScale = scales ? scales.get(name)?.lrScale : 1;
    if (lrScale === undefined) throw new Error(`mupParamGroups: '${name}' is not a parameter of this config`);
    const key = lrScale === 1 ? group : `${group}×${Number(lrScale.toPrecision(6))}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = {
        name: key,
        group,
        names: [],
        params: [],
        lrMultiplier: lrMultiplier(table, group) * lrScale,
        wdMultiplier: wdMultiplier(table, group),
      };
      byKey.set(key, entry);
    }
    entry.names.push(name);
    (entry.params as Variable[]).push(param);
  }
  const order = (g: MupParamGroup): number => MUP_GROUPS.indexOf(g.group);
  return [...byKey.values()].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
}

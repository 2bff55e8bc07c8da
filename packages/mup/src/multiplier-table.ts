/**
 * μP multiplier tables in log2, as the seminar writes them (falcon-h1-reference.md §5: "The table's entries are
 * log2 values: 2^2.5 = 5.657 is the published embedding multiplier, 2^−1.5 = 0.3536 the z/B/dt ssm multipliers,
 * 2^−2 = 0.25 the x multiplier, 2^−1 = 0.5 the C multiplier"). A table has three sections, each optional, each
 * entry optional (a missing entry is log2 0, a multiplier of 1):
 *
 *   { "forward": { "embedding": 2.5, "ssm_x": -2, … },      // FORWARD_MULTIPLIERS (forward-multipliers.ts)
 *     "lr":      { "embedding": 0, "mixer_in_proj": -1, … },  // MUP_GROUPS (parameter-groups.ts)
 *     "wd":      { "norm_final": -30, … } }                    // MUP_GROUPS
 *
 * `parseMupTableText` refuses bad input naming the source, the line and column of a JSON syntax error, and the
 * path of a bad field ("lr.mlp_upp: unknown group; groups are …").
 */
import type { FalconH1Config } from '@falcon-h1/hybrid-block';
import {
  FORWARD_MULTIPLIERS,
  type ForwardMultiplier,
  forwardMultipliers,
  withForwardMultipliers,
} from './forward-multipliers.js';
import { MUP_GROUPS, type MupGroup } from './parameter-groups.js';

export interface MupTable {
  /** log2 of forward multipliers. */
  readonly forward: Readonly<Partial<Record<ForwardMultiplier, number>>>;
  /** log2 of learning-rate multipliers per group. */
  readonly lr: Readonly<Partial<Record<MupGroup, number>>>;
  /** log2 of weight-decay multipliers per group. */
  readonly wd: Readonly<Partial<Record<MupGroup, number>>>;
}

export const EMPTY_MUP_TABLE: MupTable = { forward: {}, lr: {}, wd: {} };

export class MupTableError extends Error {
  override name = 'MupTableError';
}

const SECTIONS = { forward: FORWARD_MULTIPLIERS, lr: MUP_GROUPS, wd: MUP_GROUPS } as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a parsed JSON value and returns it as a table. */
export function parseMupTable(json: unknown, source = 'μP table'): MupTable {
  const fail = (path: string, message: string): never => {
    throw new MupTableError(`${source}: ${path ? `${path}: ` : ''}${message}`);
  };
  if (!isRecord(json)) fail('', `must be a JSON object with sections ${Object.keys(SECTIONS).join(', ')}`);
  const table: Record<string, Record<string, number>> = { forward: {}, lr: {}, wd: {} };
  for (const [section, body] of Object.entries(json as Record<string, unknown>)) {
    const allowed = SECTIONS[section as keyof typeof SECTIONS] as readonly string[] | undefined;
    if (!allowed) fail(section, `unknown section; sections are ${Object.keys(SECTIONS).join(', ')}`);
    if (!isRecord(body)) fail(section, 'must be an object of name → log2 value');
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (!allowed!.includes(key)) {
        fail(
          `${section}.${key}`,
          `unknown ${section === 'forward' ? 'forward multiplier' : 'group'}; known: ${allowed!.join(', ')}`,
        );
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        fail(`${section}.${key}`, `must be a finite number (a log2 value), got ${JSON.stringify(value)}`);
      }
      table[section]![key] = value as number;
    }
  }
  return table as unknown as MupTable;
}

/** Line and column (from 1) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** Parses the text of a table file. */
export function parseMupTableText(text: string, source = 'μP table'): MupTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? lineColumn(text, Number(position[1])) : undefined;
    throw new MupTableError(`${source}${where ? `:${where.line}:${where.column}` : ''}: not valid JSON (${message})`);
  }
  return parseMupTable(json, source);
}

/** The learning-rate multiplier of a group, 2^lr[group] (1 when absent). */
export function lrMultiplier(table: MupTable, group: MupGroup): number {
  return 2 ** (table.lr[group] ?? 0);
}

/** The weight-decay multiplier of a group, 2^wd[group] (1 when absent). */
export function wdMultiplier(table: MupTable, group: MupGroup): number {
  return 2 ** (table.wd[group] ?? 0);
}

/** A copy of `config` whose forward multipliers are the table's (2^entry); absent entries keep the config's. */
export function applyForwardTable(config: FalconH1Config, table: MupTable): FalconH1Config {
  const values: Partial<Record<ForwardMultiplier, number>> = {};
  for (const [name, log2] of Object.entries(table.forward)) values[name as ForwardMultiplier] = 2 ** log2;
  return withForwardMultipliers(config, values);
}

/** The forward section of a table from a config: log2 of each of its forward multipliers. */
export function forwardTableFromConfig(config: FalconH1Config): Record<ForwardMultiplier, number> {
  const values = forwardMultipliers(config);
  return Object.fromEntries(FORWARD_MULTIPLIERS.map((m) => [m, Math.log2(values[m])])) as Record<
    ForwardMultiplier,
    number
  >;
}

/** `base` with `override`'s entries on top, section by section. */
export function mergeMupTables(base: MupTable, override: MupTable): MupTable {
  return {
    forward: { ...base.forward, ...override.forward },
    lr: { ...base.lr, ...override.lr },
    wd: { ...base.wd, ...override.wd },
  };
}

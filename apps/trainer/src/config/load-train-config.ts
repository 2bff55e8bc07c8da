/**
 * Reading a training config file (JSON, or YAML for `.yaml`/`.yml`): syntax errors with line and column, schema errors naming the field
 * (`run.json: optimizer.lr: …`), then the checks that span fields (a mixture naming an unknown source, a batch that
 * does not split into micro-batches, a schedule longer than the run). Relative paths are resolved against the
 * config file's directory, so a config works from any working directory.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { SEMINAR_TABLE, type TrainConfig, trainConfigSchema } from './train-config.js';

/** A config that cannot be used; the message names the file and the field. */
export class TrainConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainConfigError';
  }
}

/** A validated config plus where it came from. */
export interface LoadedTrainConfig {
  config: TrainConfig;
  /** The config file (absolute). */
  file: string;
  /** The original text, stored with each checkpoint. */
  text: string;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

/** A YAML config (`.yaml`/`.yml`): the same fields; syntax errors with their line and column. */
function parseYaml(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true });
  const error = document.errors[0];
  if (error !== undefined) {
    const at = error.linePos?.[0];
    const where = at ? ` (line ${at.line}, column ${at.col})` : '';
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new TrainConfigError(`${file}: not valid YAML${where}: ${message}`);
  }
  return document.toJS();
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? ` (${lineAndColumn(text, Number(position[1]))})` : '';
    throw new TrainConfigError(`${file}: not valid JSON${where}: ${message}`);
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

/** Validates a config object (already parsed). `file` is for messages and relative paths. */
export function validateTrainConfig(json: unknown, file: string): TrainConfig {
  const parsed = trainConfigSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${fieldPath(issue.path) || '(top level)'}: ${issue.message}`);
    throw new TrainConfigError(`${file}: invalid training config:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const problems = crossFieldProblems(config);
  if (problems.length > 0) throw new TrainConfigError(`${file}: invalid training config:\n  ${problems.join('\n  ')}`);
  return resolvePaths(config, dirname(resolve(file)));
}

function crossFieldProblems(config: TrainConfig): string[] {
  const problems: string[] = [];
  const names = config.data.sources.map((s) => s.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) problems.push(`data.sources: the name '${duplicate}' is used twice`);
  for (const end of ['start', 'end'] as const) {
    const weights = config.data.mixture?.[end];
    if (weights === undefined) continue;
    for (const name of names) {
      if (!(name in weights)) problems.push(`data.mixture.${end}: no weight for source '${name}'`);
    }
    for (const name of Object.keys(weights)) {
      if (!names.includes(name)) problems.push(`data.mixture.${end}.${name}: no source is named '${name}'`);
    }
    if (Object.values(weights).every((w) => w === 0)) problems.push(`data.mixture.${end}: the weights sum to 0`);
  }
  const { rows, microRows = rows, ramp } = config.batch;
  if (rows % microRows !== 0) problems.push(`batch.microRows: ${microRows} does not divide batch.rows (${rows})`);
  if (ramp !== undefined) {
    if (ramp.startRows > rows) problems.push(`batch.ramp.startRows: ${ramp.startRows} exceeds batch.rows (${rows})`);
    else if ((rows - ramp.startRows) % ramp.incrementRows !== 0) {
      problems.push(
        `batch.ramp.incrementRows: rows − startRows (${rows - ramp.startRows}) is not a multiple of ${ramp.incrementRows}`,
      );
    }
    for (const [what, value] of [
      ['startRows', ramp.startRows],
      ['incrementRows', ramp.incrementRows],
    ] as const) {
      if (value % microRows !== 0)
        problems.push(`batch.ramp.${what}: ${value} is not a multiple of batch.microRows (${microRows})`);
    }
  }
  const { warmupSteps, decaySteps } = config.schedule;
  if (warmupSteps + decaySteps > config.steps) {
    problems.push(`schedule: warmupSteps + decaySteps (${warmupSteps + decaySteps}) exceed steps (${config.steps})`);
  }
  return problems;
}

function resolvePaths(config: TrainConfig, base: string): TrainConfig {
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  const sources = (list: TrainConfig['data']['sources']) => list.map((s) => ({ ...s, paths: s.paths.map(at) }));
  const shape = <T extends { config?: string | Record<string, unknown> }>(section: T): T => ({
    ...section,
    config: typeof section.config === 'string' ? at(section.config) : section.config,
  });
  const table = config.mup?.table;
  return {
    ...config,
    out: at(config.out),
    tokenizer: at(config.tokenizer),
    model: shape(config.model),
    data: { ...config.data, sources: sources(config.data.sources) },
    eval: config.eval && { ...config.eval, sources: sources(config.eval.sources) },
    mup: config.mup && {
      ...config.mup,
      table: typeof table === 'string' && table !== SEMINAR_TABLE ? at(table) : table,
      base: config.mup.base && shape(config.mup.base),
    },
  };
}

/** Reads, parses and validates a config file. */
export function loadTrainConfig(file: string): LoadedTrainConfig {
  const absolute = resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new TrainConfigError(
      `cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const json = /\.ya?ml$/i.test(file) ? parseYaml(text, file) : parseJson(text, file);
  return { config: validateTrainConfig(json, file), file: absolute, text };
}

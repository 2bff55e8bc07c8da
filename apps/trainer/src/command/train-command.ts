/**
 * `falcon-h1 train`: the command line of the trainer, shared by the falcon-h1 CLI (apps/cli's `train` command)
 * and this package's own `falcon-h1-train` binary, so both behave the same. Progress goes to standard error,
 * the summary (and the sample) to standard output.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, type BackendChoice } from '../backend/start-backend.js';
import { loadTrainConfig } from '../config/load-train-config.js';
import type { TrainerOutput } from '../progress/progress-line.js';
import { runTraining } from '../training/run-training.js';

/** The embedded default run: a small Falcon-H1 on the bundled corpus and tokenizer (README's main job). */
export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../examples/default.json', import.meta.url));

/** Where `--default` writes without `--out` (relative to the working directory). */
export const DEFAULT_RUN_DIR = 'runs/default';

export const TRAIN_USAGE = [
  'Usage: falcon-h1 train --config <file> [--resume] [--out <dir>] [--backend <name>] [--json]',
  '       falcon-h1 train --default [--resume] [--out <dir>] [--backend <name>]',
  '',
  'Trains Falcon-H1 as the config file says (model, data, μP table, schedule, batch, checkpoints: see',
  'apps/trainer/README.md). Shows a progress bar (loss, tokens/s, learning rate, ETA) on standard error, writes',
  'metrics.jsonl, loss-curve.svg and checkpoints/step-N/ (a Hugging Face model directory plus optimizer, data and',
  'random state) in the run directory, and prints a sample from the final checkpoint.',
  '',
  'Data parallel: started by `falcon-h1 launch --nproc-per-node <n> -- falcon-h1 train --config <file> --backend cuda`,',
  'each process trains on its share of every batch (NCCL all-reduce); rank 0 writes the run directory.',
  '',
  'Options:',
  '  --config <file>     the training config (JSON, or YAML for .yaml/.yml)',
  '  --default           the embedded default run (small model, bundled corpus and tokenizer, a few minutes on a CPU),',
  '                      written to runs/default in the working directory unless --out is given',
  '  --resume            continue from the newest checkpoint of the run directory, exactly where it was',
  '  --out <dir>         the run directory, instead of the config\'s "out" (relative to the working directory)',
  `  --backend <name>    ${BACKEND_NAMES.join(', ')}, instead of the config's "backend"`,
  '  --json              print the result as JSON',
].join('\n');

/** Where the command writes: lines of standard output and error, and the live progress. */
export interface TrainCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** The progress display (default: lines through `err`). */
  progress?: TrainerOutput;
}

class UsageError extends Error {}

function parse(args: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      config: { type: 'string' },
      default: { type: 'boolean' },
      resume: { type: 'boolean' },
      out: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if ((values.config === undefined) === (values.default !== true)) {
    throw new UsageError('give --config <file>, or --default for the embedded default run');
  }
  if (values.backend !== undefined && !(BACKEND_NAMES as readonly string[]).includes(values.backend)) {
    throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got '${values.backend}'`);
  }
  return {
    config: values.default ? DEFAULT_CONFIG_PATH : values.config!,
    resume: values.resume ?? false,
    out: values.out,
    backend: values.backend as BackendChoice | undefined,
    json: values.json ?? false,
  };
}

/** Runs `falcon-h1 train <args>`; resolves to the exit code (2 for a usage error, 1 for a failed run). */
export async function trainCommand(args: readonly string[], io: TrainCommandIo): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(args);
  } catch (error) {
    io.err(`falcon-h1 train: ${(error as Error).message}`);
    io.err("Run 'falcon-h1 train --help' for the options.");
    return 2;
  }
  const loaded = loadTrainConfig(options.config);
  // The default config lives inside this package: its run goes to the working directory, not next to it.
  const out = options.out ?? (options.config === DEFAULT_CONFIG_PATH ? DEFAULT_RUN_DIR : undefined);
  if (out !== undefined) loaded.config.out = resolve(out);
  if (options.backend !== undefined) loaded.config.backend = options.backend;
  // Ctrl-C: finish the step, checkpoint it, stop (exit 130); a second Ctrl-C quits at once.
  const stop = new AbortController();
  const onInterrupt = () => {
    if (stop.signal.aborted) process.exit(130);
    io.err('interrupted: finishing this step and saving a checkpoint (Ctrl-C again to quit at once)');
    stop.abort();
  };
  process.on('SIGINT', onInterrupt);
  let result: Awaited<ReturnType<typeof runTraining>>;
  try {
    result = await runTraining(loaded, {
      resume: options.resume,
      output: io.progress ?? { line: (text) => io.err(text) },
      signal: stop.signal,
    });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  const code = result.interrupted ? 130 : 0;
  if (result.rank !== 0) return code; // data parallel: rank 0 reports for the group
  if (options.json) {
    io.out(JSON.stringify(result));
    return code;
  }
  if (result.interrupted) {
    io.out(`stopped after step ${result.lastStep}: checkpoint ${result.checkpoint}`);
    io.out('continue with the same command and --resume');
    return code;
  }
  const held = result.finalEvalLoss === undefined ? '' : ` (held-out ${result.finalEvalLoss.toFixed(4)})`;
  io.out(
    `trained ${result.lastStep} steps on ${result.backend}: loss ${result.firstLoss.toFixed(4)} → ${result.finalLoss.toFixed(4)}${held}`,
  );
  io.out(`checkpoint: ${result.checkpoint}`);
  io.out(`metrics:    ${result.metricsPath}`);
  io.out(`loss curve: ${result.lossCurvePath}`);
  if (result.sample !== undefined) io.out(`sample:     ${result.sample}`);
  return 0;
}

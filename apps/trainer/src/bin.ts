#!/usr/bin/env node
/**
 * `falcon-h1-train`: the trainer on its own, the same command as `falcon-h1 train` (see command/train-command.ts).
 */
import { TRAIN_USAGE, trainCommand } from './command/train-command.js';
import { stderrOutput } from './progress/progress-line.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${TRAIN_USAGE}\n`);
} else {
  const output = stderrOutput();
  try {
    process.exitCode = await trainCommand(args, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => output.line(line),
      progress: output,
    });
  } catch (error) {
    output.line(`falcon-h1 train: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

/**
 * `falcon-h1 train`: trains Falcon-H1 from a config file with @falcon-h1/trainer (whose own `falcon-h1-train`
 * binary runs the same command). On a terminal the progress bar is redrawn in place; the summary and the sample
 * go to standard output.
 */
import { trainCommand as runTrainCommand, stderrOutput, TRAIN_USAGE } from '@falcon-h1/trainer';
import type { Command } from '../command.js';
import { processIo } from '../io.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train Falcon-H1 from a config file (progress bar, metrics, loss curve, checkpoints that resume exactly)',
  usage: TRAIN_USAGE,
  run(args, { io }) {
    const live = io === processIo ? stderrOutput() : undefined;
    return runTrainCommand(args, {
      out: (line) => io.out(line),
      err: (line) => (live ? live.line(line) : io.err(line)),
      ...(live ? { progress: live } : {}),
    });
  },
};

/**
 * The checks a config must pass to train data-parallel over `worldSize` ranks, which only the process group knows
 * (WORLD_SIZE), not the file: every batch size of the run (the final `batch.rows` and each size of the ramp) must
 * split into equal row shares, and each share into whole micro-batches — otherwise ranks would do different
 * numbers of collectives and wait for each other forever.
 */
import { TrainConfigError } from './load-train-config.js';
import type { TrainConfig } from './train-config.js';

/** Every batch size (rows) a step of the run can have: `rows`, and the sizes of the ramp below it. */
export function stepBatchSizes(config: TrainConfig): number[] {
  const { rows, ramp } = config.batch;
  if (ramp === undefined) return [rows];
  const sizes: number[] = [];
  for (let n = ramp.startRows; n < rows; n += ramp.incrementRows) sizes.push(n);
  sizes.push(rows);
  return sizes;
}

/** Rows per micro-batch on each rank: the config's micro-batch, or the whole share when that is smaller. */
export function rankMicroRows(config: TrainConfig, rankRows: number): number {
  return Math.min(config.batch.microRows ?? rankRows, rankRows);
}

/** The problems, one line each naming the field (empty: the config trains on `worldSize` ranks). */
export function dataParallelProblems(config: TrainConfig, worldSize: number): string[] {
  const problems: string[] = [];
  for (const rows of stepBatchSizes(config)) {
    const field = rows === config.batch.rows ? 'batch.rows' : 'batch.ramp';
    if (rows % worldSize !== 0) {
      problems.push(`${field}: a batch of ${rows} rows does not split over WORLD_SIZE=${worldSize} ranks`);
      continue;
    }
    const share = rows / worldSize;
    const micro = rankMicroRows(config, share);
    if (share % micro !== 0) {
      problems.push(
        `batch.microRows: ${micro} does not divide a rank's share (${share} rows of a ${rows}-row batch over WORLD_SIZE=${worldSize})`,
      );
    }
  }
  return [...new Set(problems)];
}

/** Throws a TrainConfigError naming `file` and the fields when the config cannot train on `worldSize` ranks. */
export function checkDataParallel(config: TrainConfig, worldSize: number, file: string): void {
  const problems = dataParallelProblems(config, worldSize);
  if (problems.length > 0) {
    throw new TrainConfigError(`${file}: cannot train data-parallel:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * metrics.jsonl: one JSON object per optimizer step, appended as the run goes. Numbers are written by
 * JSON.stringify, which prints the shortest decimal that reads back as the same float64, so two runs can be compared
 * exactly from the files. On resume the log is cut back to the checkpoint's step (the steps after it are trained
 * again), so a resumed run's file is the uninterrupted run's, line for line, apart from timings.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { fsyncPath, writeFileAtomic } from '../checkpoint/atomic-files.js';

export interface StepMetrics {
  step: number;
  /** Mean training loss over the step's tokens. */
  loss: number;
  /** The base learning rate of the step (group multipliers apply on top). */
  lr: number;
  /** Global L2 norm of the gradient before clipping. */
  grad_norm: number;
  /** Tokens trained on so far (rows × seqLen per step). */
  tokens: number;
  /** Training throughput of this step. */
  tokens_per_s: number;
  /** Seconds since the run (or its resumption) started. */
  elapsed_s: number;
  /** Mean loss on the held-out split, on the steps where it was evaluated. */
  eval_loss?: number;
}

export class MetricsLog {
  constructor(readonly path: string) {}

  /** Every record in the file (an unfinished last line, from a kill mid-write, is dropped). */
  read(): StepMetrics[] {
    if (!existsSync(this.path)) return [];
    const records: StepMetrics[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as StepMetrics);
      } catch {
        break;
      }
    }
    return records;
  }

  /** Starts a fresh log (a new run). */
  reset(): void {
    writeFileAtomic(this.path, '');
  }

  /** Keeps the records up to and including `step` (resuming from the checkpoint of that step). */
  truncateTo(step: number): void {
    const kept = this.read().filter((r) => r.step <= step);
    writeFileAtomic(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  append(record: StepMetrics): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Flushes the log to the disk (before a checkpoint claims its steps). */
  sync(): void {
    fsyncPath(this.path);
  }
}

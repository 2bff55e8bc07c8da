/**
 * The progress display of a run: on a terminal one line redrawn in place after every step (step/total, bar, loss,
 * tokens/s, learning rate, ETA); elsewhere (a pipe, a CI log) the same line printed every `every` steps, so logs stay
 * readable. Messages printed between steps (evaluation, checkpoints) clear the live line first.
 */
import type { StepMetrics } from '../metrics/metrics-log.js';

/** Where the trainer writes what it has to say. */
export interface TrainerOutput {
  /** One finished line (messages, samples). */
  line(text: string): void;
  /** Redraws the live status line; absent when the output is not a terminal. */
  redraw?(text: string): void;
  /** Ends the live status line, if one is shown (the run is over). */
  end?(): void;
}

/**
 * A TrainerOutput on process.stderr: on a TTY the status line is redrawn in place, and a message printed while it
 * is shown goes above it; otherwise plain lines.
 */
export function stderrOutput(): TrainerOutput {
  const tty = process.stderr.isTTY === true;
  let live: string | undefined;
  return {
    line(text) {
      process.stderr.write(live === undefined ? `${text}\n` : `\r\x1b[2K${text}\n${live}`);
    },
    redraw: tty
      ? (text) => {
          process.stderr.write(`\r\x1b[2K${text}`);
          live = text;
        }
      : undefined,
    end() {
      if (live !== undefined) process.stderr.write('\n');
      live = undefined;
    },
  };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A size as people read it: "6.26 GB", "812.4 MB" (decimal units, as disks are sold and dd reports). */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export class ProgressLine {
  private readonly started = performance.now();
  private readonly firstStep: number;

  constructor(
    private readonly output: TrainerOutput,
    private readonly totalSteps: number,
    private readonly every: number,
    startStep: number,
  ) {
    this.firstStep = startStep;
  }

  /** The status text after a step. */
  text(m: StepMetrics): string {
    const done = m.step - this.firstStep;
    const perStep = (performance.now() - this.started) / 1000 / Math.max(1, done);
    const eta = perStep * (this.totalSteps - m.step);
    const width = 20;
    const filled = Math.round((m.step / this.totalSteps) * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const steps = `${String(m.step).padStart(String(this.totalSteps).length)}/${this.totalSteps}`;
    const tps = Math.round(m.tokens_per_s).toLocaleString('en-US');
    return `step ${steps} [${bar}] loss ${m.loss.toFixed(4)} | ${tps} tok/s | lr ${m.lr.toExponential(2)} | ETA ${formatDuration(eta)}`;
  }

  update(m: StepMetrics): void {
    const text = this.text(m);
    if (this.output.redraw) this.output.redraw(text);
    else if (m.step % this.every === 0 || m.step === this.totalSteps) this.output.line(text);
  }
}

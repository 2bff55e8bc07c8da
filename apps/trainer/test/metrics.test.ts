import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDuration, lossCurveSvg, MetricsLog, niceTicks, ProgressLine, type StepMetrics } from '../src/index.js';

function record(step: number, loss: number, evalLoss?: number): StepMetrics {
  return {
    step,
    loss,
    lr: 1e-3,
    grad_norm: 0.5,
    tokens: step * 100,
    tokens_per_s: 1000,
    elapsed_s: step,
    ...(evalLoss === undefined ? {} : { eval_loss: evalLoss }),
  };
}

describe('metrics.jsonl', () => {
  it('round-trips float64 values exactly, cuts back to a step, and drops a line cut by a kill', () => {
    const log = new MetricsLog(join(mkdtempSync(join(tmpdir(), 'falcon-metrics-')), 'metrics.jsonl'));
    log.reset();
    const values = [Math.PI, 1 / 3, 5.123456789012345, 2 ** -40];
    for (const [i, v] of values.entries()) log.append(record(i + 1, v));
    expect(log.read().map((r) => r.loss)).toEqual(values);
    appendFileSync(log.path, '{"step":5,"loss":1.2');
    expect(log.read()).toHaveLength(4);
    log.truncateTo(2);
    expect(log.read().map((r) => r.step)).toEqual([1, 2]);
    log.sync();
  });
});

describe('loss-curve.svg', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(2.13, 7.9)).toEqual([3, 4, 5, 6, 7]);
    expect(niceTicks(0, 7)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(niceTicks(0, 250)).toEqual([0, 50, 100, 150, 200, 250]);
  });

  it('draws the training loss as one line and each held-out loss as a dot, on the data range', () => {
    const svg = lossCurveSvg([record(1, 6), record(2, 5, 5.5), record(3, 4), record(4, 3, 3.5)]);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const points = /<polyline [^>]*points="([^"]+)"/
      .exec(svg)![1]!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    expect(points).toHaveLength(4);
    // x grows with the step, y (downwards) grows as the loss falls.
    for (let i = 1; i < 4; i++) {
      expect(points[i]![0]!).toBeGreaterThan(points[i - 1]![0]!);
      expect(points[i]![1]!).toBeGreaterThan(points[i - 1]![1]!);
    }
    expect(svg.match(/<circle /g)).toHaveLength(2 + 1);
    expect(svg).toContain('held-out loss');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});

describe('the progress line', () => {
  it('shows step/total, loss, tokens/s, learning rate and ETA; without a terminal it prints every N steps', () => {
    const lines: string[] = [];
    const progress = new ProgressLine({ line: (t) => lines.push(t) }, 20, 5, 0);
    for (let step = 1; step <= 20; step++) progress.update(record(step, 2));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^step {2}5\/20 \[#####\.{15}\] loss 2\.0000 \| 1,000 tok\/s \| lr 1\.00e-3 \| ETA \d+s$/);
    const redrawn: string[] = [];
    const live = new ProgressLine({ line: () => {}, redraw: (t) => redrawn.push(t) }, 20, 5, 0);
    live.update(record(1, 2));
    expect(redrawn).toHaveLength(1);
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(125)).toBe('2m05s');
  });
});

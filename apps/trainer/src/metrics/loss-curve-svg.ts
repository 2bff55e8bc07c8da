/**
 * loss-curve.svg: the training loss per step (a line) and the held-out loss (dots) on linear axes with round-number
 * ticks, as a self-contained SVG that any browser or image viewer opens. Written next to the checkpoints each time
 * one is saved and at the end of the run.
 */
import type { StepMetrics } from './metrics-log.js';

const WIDTH = 720;
const HEIGHT = 400;
const MARGIN = { left: 64, right: 24, top: 36, bottom: 48 };

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 8): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function lossCurveSvg(records: readonly StepMetrics[], title = 'Falcon-H1 training loss'): string {
  const train = records.filter((r) => Number.isFinite(r.loss));
  const evals = records.filter((r) => r.eval_loss !== undefined && Number.isFinite(r.eval_loss));
  const losses = [...train.map((r) => r.loss), ...evals.map((r) => r.eval_loss!)];
  const maxStep = Math.max(1, ...records.map((r) => r.step));
  const lo = losses.length > 0 ? Math.min(...losses) : 0;
  const hi = losses.length > 0 ? Math.max(...losses) : 1;
  const pad = (hi - lo) * 0.05 || 0.5;
  const [yLo, yHi] = [Math.max(0, lo - pad), hi + pad];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (step: number): number => MARGIN.left + (step / maxStep) * plotW;
  const y = (loss: number): number => MARGIN.top + (1 - (loss - yLo) / (yHi - yLo)) * plotH;
  const f = (v: number): string => v.toFixed(1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (const t of niceTicks(yLo, yHi)) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${f(y(t) + 4)}" text-anchor="end">${t}</text>`,
    );
  }
  for (const t of niceTicks(0, maxStep)) {
    parts.push(
      `<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom + 5}" stroke="#333"/>`,
      `<text x="${f(x(t))}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${t}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">step</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">loss</text>`,
  );
  if (train.length > 0) {
    const points = train.map((r) => `${f(x(r.step))},${f(y(r.loss))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>`);
  }
  for (const r of evals) parts.push(`<circle cx="${f(x(r.step))}" cy="${f(y(r.eval_loss!))}" r="3.5" fill="#d62728"/>`);
  const legendX = WIDTH - MARGIN.right - 150;
  parts.push(
    `<line x1="${legendX}" x2="${legendX + 20}" y1="${MARGIN.top + 16}" y2="${MARGIN.top + 16}" stroke="#1f77b4" stroke-width="2"/>`,
    `<text x="${legendX + 26}" y="${MARGIN.top + 20}">training loss</text>`,
  );
  if (evals.length > 0) {
    parts.push(
      `<circle cx="${legendX + 10}" cy="${MARGIN.top + 34}" r="3.5" fill="#d62728"/>`,
      `<text x="${legendX + 26}" y="${MARGIN.top + 38}">held-out loss</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

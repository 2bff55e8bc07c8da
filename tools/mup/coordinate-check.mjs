#!/usr/bin/env node
// The μP coordinate check (not a test): trains small random Falcon-H1 models of growing width for a few AdamW steps
// under standard parametrisation (SP) and under μP, with the same learning rate everywhere, and draws the mean
// |activation| of the embedding output, each layer's output and the logits against the width, one line per step.
// Flat lines under μP, lines climbing with width under SP: the figure of Tensor Programs V (Fig. 5) and of the
// `mup` library's README, for this model. The measuring is `coordinateCheck` of @falcon-h1/mup; this script runs it
// and writes the picture (hand-written SVG) and the numbers.
//
//   pnpm build && node tools/mup/coordinate-check.mjs [--widths 64,128,256,512] [--steps 4] [--lr 0.01]
//       [--seeds 2] [--backend wasm|reference] [--svg packages/mup/docs/coordinate-check.svg] [--json out.json]
//   node tools/mup/coordinate-check.mjs --from-json out.json [--svg …]     (redraw saved numbers)

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const fromJson = option('from-json', undefined);
const saved = fromJson ? JSON.parse(readFileSync(fromJson, 'utf8')) : undefined;
const widths = saved?.widths ?? option('widths', '64,128,256,512').split(',').map(Number);
const steps = saved?.steps ?? Number(option('steps', '4'));
const lr = saved?.lr ?? Number(option('lr', '0.01'));
const seeds = saved?.seeds ?? Number(option('seeds', '2'));
const backendName = saved?.backend ?? option('backend', 'wasm');
const svgPath = resolve(option('svg', join(ROOT, 'packages/mup/docs/coordinate-check.svg')));
const jsonPath = option('json', undefined);

async function importFrom(dir, specifier) {
  const require = createRequire(join(dir, 'package.json'));
  return import(pathToFileURL(require.resolve(specifier)).href);
}

async function measure() {
  const core = await importFrom(join(ROOT, 'packages/mup'), '@falcon-h1/core-tensor');
  const mup = await importFrom(join(ROOT, 'packages/mup'), '@falcon-h1/mup');
  if (backendName === 'wasm') await importFrom(join(ROOT, 'backends/wasm'), '@falcon-h1/backend-wasm');
  else await importFrom(join(ROOT, 'packages/mup'), '@falcon-h1/backend-reference');
  await core.setBackend(backendName);
  const out = [];
  for (const parametrization of ['sp', 'mup']) {
    out.push(...(await mup.coordinateCheck({ parametrization, widths, steps, lr, seeds })));
    console.log(`${parametrization}: done after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return out;
}

const started = performance.now();
const records = saved?.records ?? (await measure());

// ------------------------------------------------------------------------------------------------- the picture

const activations = [...new Set(records.map((r) => r.activation))];
const PANEL_W = 230;
const PANEL_H = 170;
const MARGIN = { left: 58, top: 78, right: 16, bottom: 44 };
const GAP_X = 44;
const GAP_Y = 52;
const width = MARGIN.left + activations.length * PANEL_W + (activations.length - 1) * GAP_X + MARGIN.right + 90;
const height = MARGIN.top + 2 * PANEL_H + GAP_Y + MARGIN.bottom;
// Step colours from dark to light (viridis stops).
const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#b5de2b', '#fde725'];
const colour = (step) => VIRIDIS[Math.round((step / Math.max(1, steps)) * (VIRIDIS.length - 1))];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v) => (v >= 1000 || v < 0.001 ? v.toExponential(0) : Number(v.toPrecision(2)).toString());

const out = [];
out.push(
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
  `<title>Falcon-H1 μP coordinate check: mean |activation| against width under SP and μP</title>`,
  `<rect width="100%" height="100%" fill="white"/>`,
  `<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">Falcon-H1 coordinate check: mean |activation| vs width, AdamW lr ${lr}, ${steps} steps, ${seeds} seeds</text>`,
  `<text x="${MARGIN.left}" y="42" fill="#555">top: standard parametrisation (one lr, 1/√fan_in init, fixed multipliers) — bottom: μP (base width ${widths[0]}; hidden lr × base/width, readout multiplier × base/width)</text>`,
);
['sp', 'mup'].forEach((p, row) => {
  activations.forEach((activation, col) => {
    const x0 = MARGIN.left + col * (PANEL_W + GAP_X);
    const y0 = MARGIN.top + row * (PANEL_H + GAP_Y);
    // One log10 y range per column (both rows) so SP and μP compare directly.
    const column = records.filter((r) => r.activation === activation);
    const lo = Math.floor(Math.log10(Math.min(...column.map((r) => r.meanAbs))) * 2) / 2;
    const hi = Math.ceil(Math.log10(Math.max(...column.map((r) => r.meanAbs))) * 2) / 2;
    const span = Math.max(hi - lo, 0.5);
    const px = (w) =>
      x0 +
      ((Math.log2(w) - Math.log2(widths[0])) / Math.max(1e-9, Math.log2(widths.at(-1)) - Math.log2(widths[0]))) *
        PANEL_W;
    const py = (v) => y0 + PANEL_H - ((Math.log10(v) - lo) / span) * PANEL_H;
    out.push(`<rect x="${x0}" y="${y0}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
    out.push(
      `<text x="${x0 + PANEL_W / 2}" y="${y0 - 6}" text-anchor="middle" font-weight="bold">${p === 'sp' ? 'SP' : 'μP'} · ${esc(activation)}</text>`,
    );
    for (let e = lo; e <= lo + span + 1e-9; e += 0.5) {
      const y = py(10 ** e);
      out.push(`<line x1="${x0}" x2="${x0 + PANEL_W}" y1="${y}" y2="${y}" stroke="#eee"/>`);
      out.push(`<text x="${x0 - 4}" y="${y + 4}" text-anchor="end" fill="#555">${fmt(10 ** e)}</text>`);
    }
    for (const w of widths) {
      out.push(`<text x="${px(w)}" y="${y0 + PANEL_H + 14}" text-anchor="middle" fill="#555">${w}</text>`);
    }
    for (let s = 0; s <= steps; s++) {
      const points = widths.map((w) => {
        const r = records.find(
          (q) => q.parametrization === p && q.activation === activation && q.width === w && q.step === s,
        );
        return `${px(w).toFixed(1)},${py(r.meanAbs).toFixed(1)}`;
      });
      out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${colour(s)}" stroke-width="1.8"/>`);
      for (const pt of points) {
        const [cx, cy] = pt.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="2.2" fill="${colour(s)}"/>`);
      }
    }
  });
});
out.push(
  `<text x="${MARGIN.left + (activations.length * (PANEL_W + GAP_X) - GAP_X) / 2}" y="${height - 8}" text-anchor="middle">hidden size (log scale)</text>`,
);
const legendX = width - 80;
out.push(`<text x="${legendX}" y="${MARGIN.top + 4}" font-weight="bold">step</text>`);
for (let s = 0; s <= steps; s++) {
  const y = MARGIN.top + 18 + s * 16;
  out.push(`<line x1="${legendX}" x2="${legendX + 18}" y1="${y}" y2="${y}" stroke="${colour(s)}" stroke-width="2.5"/>`);
  out.push(`<text x="${legendX + 24}" y="${y + 4}">${s === 0 ? '0 (init)' : s}</text>`);
}
out.push('</svg>');
writeFileSync(svgPath, `${out.join('\n')}\n`);
console.log(`wrote ${svgPath}`);

// Growth from the smallest to the largest width after the last step, per parametrisation and activation.
for (const p of ['sp', 'mup']) {
  const row = activations.map((a) => {
    const at = (w) =>
      records.find((r) => r.parametrization === p && r.activation === a && r.width === w && r.step === steps).meanAbs;
    return `${a} ×${(at(widths.at(-1)) / at(widths[0])).toFixed(2)}`;
  });
  console.log(`${p.padEnd(3)} width ${widths[0]}→${widths.at(-1)} after step ${steps}: ${row.join(', ')}`);
}
if (jsonPath)
  writeFileSync(jsonPath, `${JSON.stringify({ widths, steps, lr, seeds, backend: backendName, records }, null, 1)}\n`);
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s on ${backendName}`);

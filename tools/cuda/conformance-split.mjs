#!/usr/bin/env node
// conformance-split.mjs — the conformance CLI once per kernel, in separate processes (FH_CONFORMANCE_JOBS at a time,
// default 4), merged into one
// JSON report. A device fault in one kernel (a sticky CUDA error) then cannot fail the cases of the others.
// Runs next to the bundled CLI: node conformance-split.mjs OUT_JSON OUT_LOG [extra CLI args...]
// (tools/cuda/gpu-run.sh copies it into .gpu/cuda/). Exit 0 when every result passed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, 'conformance.mjs');
const [outJson, outLog, ...extra] = process.argv.slice(2);
const list = spawnSync(process.execPath, [cli, '--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
const kernels = [...new Set(list.map((name) => name.slice(0, name.indexOf('('))))];
const tmp = mkdtempSync(join(tmpdir(), 'fh-conf-'));
const logs = [];
const reports = [];
const started = Date.now();

function runOne(kernel) {
  return new Promise((done) => {
    const json = join(tmp, `${kernel}.json`);
    const args = [cli, '--backend', 'cuda', '--filter', `^${kernel}\\(`, '--json', json, '--quiet', ...extra];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('close', (code) => {
      logs.push(`### ${kernel} (exit ${code})\n${text}`);
      try {
        reports.push({ kernel, code, report: JSON.parse(readFileSync(json, 'utf8')) });
      } catch {
        reports.push({ kernel, code, report: undefined });
      }
      done();
    });
  });
}

const queue = [...kernels];
await Promise.all(
  // FH_CONFORMANCE_JOBS processes at a time (default 4): the float64 oracle of the large cases is host time.
  Array.from({ length: Number(process.env.FH_CONFORMANCE_JOBS ?? 4) }, async () => {
    while (queue.length) await runOne(queue.shift());
  }),
);
const results = [];
const skipped = [];
const crashed = [];
let device;
for (const { kernel, code, report } of reports.sort((a, b) => kernels.indexOf(a.kernel) - kernels.indexOf(b.kernel))) {
  if (!report || !Array.isArray(report.results) || report.available === false) {
    crashed.push({ kernel, exitCode: code, ...(report?.reason ? { reason: report.reason } : {}) });
    continue;
  }
  device ??= report.device;
  results.push(...report.results);
  skipped.push(...(report.skipped ?? []));
}
const passed = results.filter((r) => r.pass).length;
const failed = results.length - passed + crashed.length;
const gpu = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
const merged = {
  backend: 'cuda',
  device,
  card: (gpu.stdout ?? '').trim() || 'unknown (nvidia-smi failed)',
  date: new Date().toISOString(),
  passed,
  failed,
  crashed,
  skipped,
  results,
};
writeFileSync(outJson, `${JSON.stringify(merged, null, 2)}\n`);
writeFileSync(outLog, logs.join('\n'));
const worst = {};
for (const r of results) {
  const key = `${r.kernel} ${r.dtype} ${r.mode}`;
  worst[key] ??= { pass: 0, fail: 0, relL2: 0 };
  const w = worst[key];
  if (r.pass) w.pass++;
  else w.fail++;
  w.relL2 = Math.max(w.relL2, r.relL2 ?? Number.POSITIVE_INFINITY);
}
for (const [key, w] of Object.entries(worst)) {
  if (w.fail) console.log(`FAIL ${key}: ${w.fail} failed, ${w.pass} passed, worst relL2 ${w.relL2.toExponential(2)}`);
}
for (const r of results.filter((x) => !x.pass).slice(0, 40)) console.log(`  ${r.name}: ${r.error ?? ''}`.slice(0, 300));
for (const c of crashed) console.log(`CRASHED ${c.kernel} (exit ${c.exitCode})${c.reason ? `: ${c.reason}` : ''}`);
console.log(
  `\n${passed} passed, ${failed} failed (${kernels.length} kernels, ${((Date.now() - started) / 1000).toFixed(0)} s) on ${device}`,
);
process.exit(failed === 0 ? 0 : 1);

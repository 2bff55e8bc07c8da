#!/usr/bin/env node
// Sums the test results of the whole repository into the one line CI reads: `N passed, N failed`.
//
// Sources:
//   - `<package>/.vitest-results.json`, written by every package's `test` script (vitest's JSON reporter). nx declares
//     the file as an output of the `test` target, so a cache hit restores it and the counts never vanish.
//   - `tests/conformance/.conformance-<backend>.json`, written by `pnpm conformance --backend <b> --json <file>`,
//     of the shape `{"passed": N, "failed": N, ...}`.
// A test file that failed without a failing test (it could not be imported, a hook threw) counts as one failure, and
// so does a package with a `test` script but no results file (its tests did not run, e.g. a dependency failed to
// build). Prints one line per source, then the summary as the very last line. Exits 1 if anything failed or if no
// results were found at all.
//
// Usage: node tools/ci/summarise-tests.mjs

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const VITEST_RESULTS = '.vitest-results.json';
const CONFORMANCE_DIR = join(ROOT, 'tests', 'conformance');

/** Package folders from pnpm-workspace.yaml (`- dir/*` and `- dir` entries; enough for this repository). */
function workspaceDirs() {
  const yaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const dirs = [];
  let inPackages = false;
  for (const line of yaml.split('\n')) {
    if (/^packages:\s*$/.test(line)) {
      inPackages = true;
      continue;
    }
    if (inPackages && /^\S/.test(line)) inPackages = false;
    const match = inPackages ? /^\s+-\s+['"]?([^'"#]+?)['"]?\s*(#.*)?$/.exec(line) : null;
    if (!match) continue;
    const pattern = match[1];
    if (pattern.startsWith('!')) continue;
    if (pattern.endsWith('/*')) {
      const base = join(ROOT, pattern.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const entry of readdirSync(base, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(join(base, entry.name));
      }
    } else {
      dirs.push(join(ROOT, pattern));
    }
  }
  return dirs.filter((d) => existsSync(join(d, 'package.json')));
}

function readJson(file) {
  try {
    return { value: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function count(value) {
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

function main() {
  let passed = 0;
  let failed = 0;
  let sources = 0;
  const lines = [];

  for (const dir of workspaceDirs()) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const name = manifest.name ?? relative(ROOT, dir);
    const file = join(dir, VITEST_RESULTS);
    if (!existsSync(file)) {
      if (manifest.scripts?.test) {
        failed += 1;
        lines.push(`  ${name}: no ${VITEST_RESULTS} (its tests did not run) - counted as 1 failure`);
      }
      continue;
    }
    const { value, error } = readJson(file);
    if (error) {
      failed += 1;
      lines.push(`  ${name}: unreadable ${VITEST_RESULTS} (${error}) - counted as 1 failure`);
      continue;
    }
    sources += 1;
    const files = Array.isArray(value.testResults) ? value.testResults : [];
    // Files that failed with no failing test: import errors, crashing hooks, unhandled errors.
    const brokenFiles = files.filter(
      (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
    );
    const p = count(value.numPassedTests);
    const f = count(value.numFailedTests) + brokenFiles.length;
    passed += p;
    failed += f;
    const extra = brokenFiles.map(
      (b) => `\n    broken file: ${relative(ROOT, b.name)}: ${(b.message ?? '').split('\n')[0]}`,
    );
    lines.push(`  ${name}: ${p} passed, ${f} failed (${files.length} test files)${extra.join('')}`);
  }

  if (existsSync(CONFORMANCE_DIR)) {
    for (const entry of readdirSync(CONFORMANCE_DIR)) {
      if (!/^\.conformance-.+\.json$/.test(entry)) continue;
      const { value, error } = readJson(join(CONFORMANCE_DIR, entry));
      if (error || !Number.isInteger(value?.passed) || !Number.isInteger(value?.failed)) {
        failed += 1;
        lines.push(`  conformance ${entry}: not of the shape {"passed": N, "failed": N} - counted as 1 failure`);
        continue;
      }
      sources += 1;
      passed += value.passed;
      failed += value.failed;
      const backend = typeof value.backend === 'string' ? value.backend : entry;
      lines.push(`  conformance --backend ${backend}: ${value.passed} passed, ${value.failed} failed`);
    }
  }

  console.log('Test results:');
  for (const line of lines) console.log(line);
  if (sources === 0) console.log('  no test results found at all');
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || sources === 0 ? 1 : 0;
}

main();

// vitest-api.mjs — the part of vitest's API that backends/cuda/test uses (describe, it, expect and their runIf),
// so the package's GPU-only test files run on the GPU host, where vitest itself cannot travel (no node_modules, no
// network): tools/cuda/bundle-gpu.mjs bundles gpu-tests.mjs with `vitest` resolved to this file. `expect` is vitest's
// own matcher library (@vitest/expect's jest-style matchers on chai), so assertions pass and fail as under vitest;
// only the runner is this file's: tests run one after another in file order, a failure is printed and counted.
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** expect(value) with vitest's matchers (toBe, toEqual, toMatch, toMatchObject, rejects, …). */
export const expect = (value, message) => chai.expect(value, message);

const tests = [];
const names = [];
let skipping = 0;

function suite(name, body, skip) {
  names.push(name);
  if (skip) skipping += 1;
  try {
    body();
  } finally {
    if (skip) skipping -= 1;
    names.pop();
  }
}

function test(name, body, skip) {
  tests.push({ name: [...names, name].join(' › '), body, skip: skip || skipping > 0 });
}

export const describe = Object.assign((name, body) => suite(name, body, false), {
  runIf: (condition) => (name, body) => suite(name, body, !condition),
  skipIf: (condition) => (name, body) => suite(name, body, Boolean(condition)),
});

export const it = Object.assign((name, body) => test(name, body, false), {
  runIf: (condition) => (name, body) => test(name, body, !condition),
  skipIf: (condition) => (name, body) => test(name, body, Boolean(condition)),
});

/** Runs every registered test in order; prints one line each and a summary; resolves to the counts. */
export async function runRegistered(label) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const t of tests.splice(0)) {
    if (t.skip) {
      skipped += 1;
      console.log(`SKIP  ${label} › ${t.name}`);
      continue;
    }
    const start = performance.now();
    try {
      await t.body();
      passed += 1;
      console.log(`PASS  ${label} › ${t.name} (${(performance.now() - start).toFixed(0)} ms)`);
    } catch (error) {
      failed += 1;
      console.log(
        `FAIL  ${label} › ${t.name}\n      ${String(error?.stack ?? error)
          .split('\n')
          .join('\n      ')}`,
      );
    }
  }
  return { passed, failed, skipped };
}

#!/usr/bin/env node
// Verifies that the committed build/ is the build of the committed csrc/:
//   1. always: the sources hash recorded in build/BUILD-INFO.json equals the hash of csrc/, the pre-js and
//      the build flags now, and the outputs' sha256 match BUILD-INFO.json (no emscripten needed);
//   2. when emcc is installed: rebuilds into a temporary folder and compares every output byte for byte.
//      Without emcc this step is skipped with a printed note.
// Exit code 0 when current, 1 when stale (with what to run), 2 on a build error.
//
// Usage: node scripts/check-wasm.mjs [--no-rebuild]

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWasm, emccVersion, PACKAGE_ROOT, sourcesHash } from './build-wasm.mjs';

const DIST = join(PACKAGE_ROOT, 'build');

export function checkWasm({ rebuild = true, log = console.log } = {}) {
  const problems = [];
  const infoFile = join(DIST, 'BUILD-INFO.json');
  if (!existsSync(infoFile)) return { ok: false, problems: ['build/BUILD-INFO.json is missing'], rebuilt: false };
  const info = JSON.parse(readFileSync(infoFile, 'utf8'));
  if (info.sourcesHash !== sourcesHash()) {
    problems.push('csrc/ (or the build flags) changed since build/ was built');
  }
  for (const [file, hash] of Object.entries(info.outputs)) {
    const path = join(DIST, file);
    if (!existsSync(path)) problems.push(`build/${file} is missing`);
    else if (createHash('sha256').update(readFileSync(path)).digest('hex') !== hash) {
      problems.push(`build/${file} differs from the hash in BUILD-INFO.json`);
    }
  }
  let rebuilt = false;
  const version = emccVersion();
  if (!rebuild) {
    log('check-wasm: rebuild skipped (--no-rebuild)');
  } else if (!version) {
    log('check-wasm: NOTE emcc is not installed: the bit-for-bit rebuild was skipped (hashes checked only)');
  } else if (version !== info.emcc) {
    log(`check-wasm: NOTE emcc is '${version}', build was built with '${info.emcc}': rebuild comparison skipped`);
  } else {
    const tmp = mkdtempSync(join(tmpdir(), 'falcon-h1-wasm-check-'));
    try {
      const fresh = buildWasm(tmp);
      rebuilt = true;
      for (const [file, hash] of Object.entries(fresh.outputs)) {
        if (info.outputs[file] !== hash) problems.push(`a fresh build of ${file} differs from the committed one`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { ok: problems.length === 0, problems, rebuilt };
}

if (process.argv[1]?.endsWith('check-wasm.mjs')) {
  try {
    const { ok, problems, rebuilt } = checkWasm({ rebuild: !process.argv.includes('--no-rebuild') });
    if (ok) {
      console.log(`check-wasm: build/ is current${rebuilt ? ' (rebuilt bit for bit)' : ''}`);
    } else {
      for (const p of problems) console.error(`check-wasm: ${p}`);
      console.error(
        'check-wasm: build/ is STALE: run `pnpm --filter @falcon-h1/backend-wasm build:wasm` and commit it',
      );
      process.exitCode = 1;
    }
  } catch (error) {
    console.error(`check-wasm: ${error.message}`);
    process.exitCode = 2;
  }
}

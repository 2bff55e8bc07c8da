#!/usr/bin/env node
// release:check — prove that every publishable package works when installed from its tarball, before publishing.
//
// For every non-private workspace package it runs `pnpm pack` (which rewrites `workspace:` ranges to real versions),
// then creates a fresh temporary npm project and installs ALL the tarballs in one `npm install`, so that internal
// dependencies are satisfied by each other rather than fetched from the registry. In that project it then:
//   - checks that every file the package.json points at (`main`, `types`, every `exports` target except the
//     `@falcon-h1/source` condition, which points at TypeScript sources that are never published) is in the tarball;
//   - imports every entry point of the `exports` map with plain `node --input-type=module -e "await import(...)"`
//     (subpath patterns with `*` are listed as skipped);
//   - checks that every `bin` file is in the tarball, executable, starts with a `#!` line, is linked into
//     node_modules/.bin, and answers `--help` with exit code 0.
// It prints a table and exits non-zero on any failure. Run `pnpm build` first (the root `release` script does).
//
// Usage: node tools/release/release-check.mjs [--filter <package-name>]... [--keep]
//   --filter  check only these packages (all publishable packages are still packed and installed together)
//   --keep    keep the temporary directory (its path is printed); it is also kept when a check fails

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SOURCE_CONDITION = '@falcon-h1/source';
const isWindows = process.platform === 'win32';

function parseArgs(argv) {
  const options = { filter: [], keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--keep') options.keep = true;
    else if (arg === '--filter') options.filter.push(argv[++i]);
    else if (arg.startsWith('--filter=')) options.filter.push(arg.slice('--filter='.length));
    else if (arg === '--help' || arg === '-h') {
      console.log('Usage: node tools/release/release-check.mjs [--filter <package-name>]... [--keep]');
      process.exit(0);
    } else {
      console.error(`release-check: unknown argument '${arg}'`);
      process.exit(2);
    }
  }
  return options;
}

function run(command, args, cwd, extra = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    shell: isWindows,
    maxBuffer: 64 * 1024 * 1024,
    ...extra,
  });
  return {
    ok: result.status === 0,
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: (result.stderr ?? '') + (result.error ? String(result.error) : ''),
  };
}

function lastLines(text, n = 3) {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-n).join(' | ');
}

/** The first meaningful error line of a failed `node -e` run (skips stack frames and source excerpts). */
function errorLine(text) {
  const lines = text.split('\n').map((l) => l.trim());
  return lines.find((l) => /^([A-Z]\w*)?Error\b/.test(l)) ?? lastLines(text, 2);
}

/** All publishable workspace packages, in `pnpm ls` order. */
function workspacePackages() {
  const result = run('pnpm', ['ls', '-r', '--depth', '-1', '--json'], ROOT);
  if (!result.ok) throw new Error(`pnpm ls failed: ${lastLines(result.stderr)}`);
  return JSON.parse(result.stdout)
    .filter((p) => p.path !== ROOT)
    .map((p) => ({ ...p, manifest: JSON.parse(readFileSync(join(p.path, 'package.json'), 'utf8')) }));
}

/** Every leaf target of an `exports` value, skipping the source condition. */
function exportTargets(value, conditions = []) {
  if (value === null) return [];
  if (typeof value === 'string') return [{ conditions, target: value }];
  if (Array.isArray(value)) return value.flatMap((v) => exportTargets(v, conditions));
  return Object.entries(value).flatMap(([condition, v]) =>
    condition === SOURCE_CONDITION ? [] : exportTargets(v, [...conditions, condition]),
  );
}

/** `exports` as a map from subpath to value (handles the sugar forms `"exports": "./x.js"` and condition-only maps). */
function exportSubpaths(manifest) {
  const exp = manifest.exports;
  if (exp === undefined) return manifest.main ? { '.': manifest.main } : { '.': './index.js' };
  if (typeof exp === 'string' || Array.isArray(exp)) return { '.': exp };
  const keys = Object.keys(exp);
  if (keys.length > 0 && keys.every((k) => !k.startsWith('.'))) return { '.': exp };
  return exp;
}

function normalise(target) {
  return target.replace(/^\.\//, '');
}

/** Mode strings (`-rwxr-xr-x`) of the files in a tarball, keyed by path inside the package. */
function tarModes(tarball) {
  const result = run('tar', ['-tzvf', tarball], ROOT);
  if (!result.ok) throw new Error(`tar -tzvf failed: ${lastLines(result.stderr)}`);
  const modes = new Map();
  for (const line of result.stdout.split('\n')) {
    const match = /^(\S{10})\s.*?\spackage\/(.+)$/.exec(line.trim());
    if (match) modes.set(match[2], match[1]);
  }
  return modes;
}

function readPackedManifest(tarball) {
  const result = run('tar', ['-xzOf', tarball, 'package/package.json'], ROOT);
  if (!result.ok) throw new Error(`cannot read package.json from ${tarball}: ${lastLines(result.stderr)}`);
  return JSON.parse(result.stdout);
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const rows = [];
  const add = (pkg, check, ok, detail = '') => rows.push({ pkg, check, result: ok ? 'ok' : 'FAIL', detail });
  const skip = (pkg, check, detail) => rows.push({ pkg, check, result: 'skip', detail });

  const all = workspacePackages();
  const publishable = all.filter((p) => !p.private && !p.manifest.private);
  for (const p of all.filter((p) => p.private || p.manifest.private)) skip(p.name, 'private', 'not published');
  const unknown = options.filter.filter((name) => !publishable.some((p) => p.name === name));
  if (unknown.length > 0) {
    console.error(`release-check: not a publishable workspace package: ${unknown.join(', ')}`);
    process.exit(2);
  }
  const checked = options.filter.length > 0 ? publishable.filter((p) => options.filter.includes(p.name)) : publishable;

  const tmp = mkdtempSync(join(tmpdir(), 'falcon-h1-release-check-'));
  const tarballDir = join(tmp, 'tarballs');
  const project = join(tmp, 'project');
  mkdirSync(tarballDir);
  mkdirSync(project);
  console.log(`release-check: ${publishable.length} publishable packages; working in ${tmp}`);

  // 1. Pack every publishable package (all of them, so that internal dependencies can be satisfied offline).
  const packed = [];
  for (const pkg of publishable) {
    const result = run('pnpm', ['pack', '--pack-destination', tarballDir, '--json'], pkg.path);
    if (!result.ok) {
      add(pkg.name, 'pack', false, lastLines(result.stderr || result.stdout));
      continue;
    }
    const info = JSON.parse(result.stdout);
    const files = new Set(info.files.map((f) => f.path));
    const modes = tarModes(info.filename);
    const manifest = readPackedManifest(info.filename);
    packed.push({ ...pkg, tarball: info.filename, files, modes, manifest });
    if (checked.includes(pkg)) add(pkg.name, 'pack', true, `${files.size} files`);
  }

  // 2. Dependencies: internal ones must be publishable packages; external ones will come from the registry.
  const packedNames = new Set(packed.map((p) => p.name));
  const privateNames = new Set(all.filter((p) => p.private || p.manifest.private).map((p) => p.name));
  const external = new Set();
  for (const pkg of packed) {
    const m = pkg.manifest;
    const optionalPeers = new Set(
      Object.keys(m.peerDependenciesMeta ?? {}).filter((n) => m.peerDependenciesMeta[n]?.optional),
    );
    const deps = { ...m.optionalDependencies, ...m.dependencies };
    for (const [n, r] of Object.entries(m.peerDependencies ?? {})) if (!optionalPeers.has(n)) deps[n] = r;
    for (const [name, range] of Object.entries(deps)) {
      if (String(range).startsWith('workspace:')) {
        add(pkg.name, 'deps', false, `${name}@${range} was not rewritten by pnpm pack`);
      } else if (privateNames.has(name)) {
        add(pkg.name, 'deps', false, `depends on the private workspace package ${name}`);
      } else if (!packedNames.has(name)) {
        external.add(name);
      }
    }
  }

  // 3. One fresh npm project, all tarballs installed together.
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'falcon-h1-release-check', version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  // Offline when every dependency is one of the tarballs: nothing may silently come from the registry instead.
  const mode = external.size === 0 ? '--offline' : '--prefer-offline';
  const install = run(
    'npm',
    ['install', mode, '--no-audit', '--no-fund', '--loglevel=error', ...packed.map((p) => p.tarball)],
    project,
  );
  const installDetail = `npm install ${mode} of ${packed.length} tarballs${external.size ? ` (+ registry: ${[...external].join(', ')})` : ''}`;
  add('(all)', 'install', install.ok, install.ok ? installDetail : `${installDetail}: ${lastLines(install.stderr, 4)}`);

  // 4. Per package: files referenced by package.json, imports of every entry point, bins.
  for (const pkg of packed.filter((p) => checked.some((c) => c.name === p.name))) {
    const m = pkg.manifest;
    const referenced = new Map();
    if (m.main) referenced.set(normalise(m.main), 'main');
    if (m.types) referenced.set(normalise(m.types), 'types');
    const subpaths = exportSubpaths(m);
    for (const [subpath, value] of Object.entries(subpaths)) {
      for (const { conditions, target } of exportTargets(value)) {
        if (!target.includes('*'))
          referenced.set(normalise(target), `exports["${subpath}"]${conditions.map((c) => `.${c}`).join('')}`);
      }
    }
    const missing = [...referenced].filter(([file]) => !pkg.files.has(file));
    add(
      pkg.name,
      'files',
      missing.length === 0,
      missing.length === 0
        ? `${referenced.size} referenced files present`
        : `missing from tarball (run pnpm build?): ${missing.map(([f, why]) => `${f} (${why})`).join(', ')}`,
    );

    for (const [subpath, value] of Object.entries(subpaths)) {
      const spec = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`;
      if (subpath.includes('*')) {
        skip(pkg.name, `import ${spec}`, 'subpath pattern');
        continue;
      }
      if (exportTargets(value).length === 0) {
        skip(pkg.name, `import ${spec}`, 'blocked (null) or source-only subpath');
        continue;
      }
      if (!install.ok) {
        add(pkg.name, `import ${spec}`, false, 'not attempted: install failed');
        continue;
      }
      const isJson = subpath.endsWith('.json') || exportTargets(value).every(({ target }) => target.endsWith('.json'));
      const code = isJson
        ? `await import(${JSON.stringify(spec)}, { with: { type: 'json' } })`
        : `await import(${JSON.stringify(spec)})`;
      const result = run(process.execPath, ['--input-type=module', '-e', code], project);
      add(pkg.name, `import ${spec}`, result.ok, result.ok ? '' : errorLine(result.stderr));
    }

    const bins = typeof m.bin === 'string' ? { [m.name.split('/').pop()]: m.bin } : (m.bin ?? {});
    for (const [name, target] of Object.entries(bins)) {
      const file = normalise(target);
      const problems = [];
      const modeString = pkg.modes.get(file);
      if (!pkg.files.has(file)) problems.push(`${file} not in tarball`);
      else if (!modeString || !/x/.test(modeString)) problems.push(`${file} not executable in tarball (${modeString})`);
      const installed = join(project, 'node_modules', m.name, file);
      if (install.ok && existsSync(installed)) {
        if (!readFileSync(installed, 'utf8').startsWith('#!')) problems.push(`${file} has no #! line`);
        const link = join(project, 'node_modules', '.bin', isWindows ? `${name}.cmd` : name);
        if (!existsSync(link)) problems.push(`node_modules/.bin/${name} not created`);
        else {
          const help = run(link, ['--help'], project);
          if (!help.ok) problems.push(`'${name} --help' exited ${help.status}: ${errorLine(help.stderr)}`);
        }
      } else if (install.ok) problems.push(`${file} not installed`);
      add(pkg.name, `bin ${name}`, problems.length === 0, problems.join('; ') || `${file} (${modeString}), --help ok`);
    }
  }

  // 4b. The vendor's path: the conformance CLI from the installed tarballs alone (no dev dependencies, plain node),
  //     certifying the reference backend on a few kernels and writing its JSON report.
  const vendor = packed.find((p) => p.name === '@falcon-h1/conformance');
  if (vendor && install.ok && checked.some((c) => c.name === vendor.name)) {
    const json = join(project, 'conformance.json');
    const cli = join(
      project,
      'node_modules',
      '.bin',
      isWindows ? 'falcon-h1-conformance.cmd' : 'falcon-h1-conformance',
    );
    const args = [
      '--backend',
      'reference',
      '--filter',
      '^(MatMul|SsmScan|Attention)\\(',
      '--dtypes',
      'f32',
      '--quiet',
      '--json',
      json,
    ];
    const result = run(cli, args, project);
    let detail = result.ok ? '' : errorLine(result.stderr || result.stdout);
    let ok = result.ok;
    if (ok) {
      try {
        const report = JSON.parse(readFileSync(json, 'utf8'));
        const shaped =
          report.backend === 'reference' &&
          typeof report.device === 'string' &&
          Number.isInteger(report.passed) &&
          report.failed === 0 &&
          Array.isArray(report.results) &&
          report.results.every(
            (r) =>
              typeof r.name === 'string' &&
              typeof r.pass === 'boolean' &&
              'maxRelError' in r &&
              typeof r.ms === 'number',
          );
        ok = shaped && report.passed > 0;
        detail = ok ? `${report.passed} passed, JSON report well-formed` : 'JSON report malformed or failing';
      } catch (error) {
        ok = false;
        detail = `no JSON report: ${error.message}`;
      }
    }
    add(vendor.name, 'vendor run: falcon-h1-conformance --backend reference', ok, detail);
  }

  // 5. Report.
  const headers = { pkg: 'package', check: 'check', result: 'result', detail: 'detail' };
  const width = (key) => Math.max(headers[key].length, ...rows.map((r) => r[key].length));
  const [wp, wc, wr] = [width('pkg'), width('check'), width('result')];
  const line = (r) => `${r.pkg.padEnd(wp)}  ${r.check.padEnd(wc)}  ${r.result.padEnd(wr)}  ${r.detail}`.trimEnd();
  console.log('');
  console.log(line(headers));
  console.log(`${'-'.repeat(wp)}  ${'-'.repeat(wc)}  ${'-'.repeat(wr)}  ${'-'.repeat(6)}`);
  for (const r of rows) console.log(line(r));
  const failed = rows.filter((r) => r.result === 'FAIL').length;
  const passed = rows.filter((r) => r.result === 'ok').length;
  console.log('');
  console.log(`release-check: ${passed} checks passed, ${failed} failed (${checked.length} packages checked)`);
  if (options.keep || failed > 0) console.log(`release-check: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  process.exitCode = failed > 0 ? 1 : 0;
}

main();

import { readFileSync } from 'node:fs';

/**
 * This package's own `package.json`, read at run time so `--version` can never disagree with what was published.
 * The path is relative to this module, which sits in `src/` (tests) or `dist/` (the binary): both are one level
 * below the package root, and `package.json` is always part of a packed tarball.
 */
export function readOwnPackageJson(): { name: string; version: string } {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const json = JSON.parse(text) as { name?: unknown; version?: unknown };
  if (typeof json.name !== 'string' || typeof json.version !== 'string') {
    throw new Error('the package.json of @falcon-h1/cli has no name or version');
  }
  return { name: json.name, version: json.version };
}

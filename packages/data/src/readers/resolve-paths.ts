/**
 * Expands a source's paths into a sorted list of files: a file stands for itself, a directory for every regular
 * file below it (hidden entries skipped; shards keep only `.bin`), and a pattern with `*` or `?` in its last
 * component for the matching files of its directory (Node 20 has no fs.glob). A path that matches nothing is bad
 * input (reported as "missing file"), handled by the policy like any other.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BadInputLog } from '../bad-input.js';

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesBelow(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

async function expandOne(path: string): Promise<string[] | null> {
  const name = basename(path);
  if (/[*?]/.test(name)) {
    const regex = patternToRegExp(name);
    const dir = dirname(path);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
    if (entries === null) return null;
    const matches = entries.filter((e) => e.isFile() && regex.test(e.name)).map((e) => join(dir, e.name));
    return matches.length > 0 ? matches.sort() : null;
  }
  const info = await stat(path).catch(() => null);
  if (info === null) return null;
  return info.isDirectory() ? filesBelow(path) : [path];
}

/** The files of a source in a stable order (duplicates removed, first occurrence kept). */
export async function resolveSourceFiles(
  source: string,
  paths: readonly string[],
  badInputs: BadInputLog,
  keep: (file: string) => boolean = () => true,
): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    const expanded = await expandOne(path);
    if (expanded === null) {
      badInputs.report({ source, file: path, reason: 'missing file (no file or directory matches this path)' });
      continue;
    }
    for (const file of expanded) {
      if (keep(file) && !seen.has(file)) {
        seen.add(file);
        files.push(file);
      }
    }
  }
  return files;
}

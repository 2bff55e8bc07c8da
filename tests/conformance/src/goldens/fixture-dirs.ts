/**
 * The repository's own golden fixtures (tests/fixtures/*): found next to this package in a checkout (from src/ or
 * dist/ alike), absent from a published install, where only `--fixture <dir>` names fixtures.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repositoryFixtureDirs(): string[] {
  const root = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'golden.safetensors')))
    .map((entry) => join(root, entry.name))
    .sort();
}

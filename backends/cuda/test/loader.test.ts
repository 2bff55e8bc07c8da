/** The addon loader: which files it tries, in which order, and what it says when none loads. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADDON_ABI_VERSION } from '../src/binding.js';
import { ADDON_FILE, addonCandidates, loadAddon, packageRoot } from '../src/loader.js';

const root = '/pkg';

describe('addonCandidates', () => {
  it('tries the prebuilt binary first, then the source build', () => {
    const list = addonCandidates(root, {}, 'linux', 'x64');
    expect(list).toEqual([
      { path: join(root, 'prebuilds', 'linux-x64', ADDON_FILE), origin: 'prebuilt' },
      { path: join(root, 'native', 'build', 'Release', ADDON_FILE), origin: 'source' },
    ]);
  });

  it('puts $FALCON_H1_CUDA_ADDON before both', () => {
    const list = addonCandidates(root, { FALCON_H1_CUDA_ADDON: '/opt/x.node' }, 'linux', 'x64');
    expect(list.map((c) => c.origin)).toEqual(['env', 'prebuilt', 'source']);
    expect(list[0]!.path).toBe('/opt/x.node');
  });

  it('finds the package root from src/ or dist/', () => {
    expect(packageRoot('file:///a/b/backend-cuda/src/loader.ts')).toBe('/a/b/backend-cuda');
    expect(packageRoot('file:///a/b/backend-cuda/dist/loader.js')).toBe('/a/b/backend-cuda');
  });
});

const good = { abiVersion: ADDON_ABI_VERSION, probe: () => ({}), Context: class {} };

describe('loadAddon', () => {
  const candidates = addonCandidates(root, {}, 'linux', 'x64');

  it('says how to build one when no file exists', () => {
    const result = loadAddon(
      candidates,
      () => good,
      () => false,
    );
    expect(result.addon).toBeUndefined();
    expect(result.reason).toMatch(/no CUDA addon is built for .*build:native/);
  });

  it('loads the prebuilt when it loads', () => {
    const seen: string[] = [];
    const result = loadAddon(
      candidates,
      (p) => {
        seen.push(p);
        return good;
      },
      () => true,
    );
    expect(result.path).toBe(candidates[0]!.path);
    expect(seen).toEqual([candidates[0]!.path]);
  });

  it('falls back to the source build when the prebuilt cannot load, and remembers why', () => {
    const result = loadAddon(
      candidates,
      (p) => {
        if (p.includes('prebuilds')) throw new Error('libcublasLt.so.13: cannot open shared object file\nstack');
        return good;
      },
      () => true,
    );
    expect(result.path).toBe(candidates[1]!.path);
    expect(result.attempts).toEqual([
      { path: candidates[0]!.path, error: 'libcublasLt.so.13: cannot open shared object file' },
    ]);
  });

  it('names every path and error when nothing loads', () => {
    const result = loadAddon(
      candidates,
      () => {
        throw new Error('invalid ELF header');
      },
      () => true,
    );
    expect(result.addon).toBeUndefined();
    expect(result.reason).toContain('the CUDA addon could not be loaded');
    expect(result.reason).toContain(`${candidates[0]!.path}: invalid ELF header`);
    expect(result.reason).toContain(`${candidates[1]!.path}: invalid ELF header`);
  });

  it('refuses an addon of another ABI or shape', () => {
    const result = loadAddon(
      candidates.slice(0, 1),
      () => ({ ...good, abiVersion: 99 }),
      () => true,
    );
    expect(result.reason).toMatch(/ABI 99 does not match/);
    const other = loadAddon(
      candidates.slice(0, 1),
      () => ({}),
      () => true,
    );
    expect(other.reason).toMatch(/not a falcon-h1 CUDA addon/);
  });

  it('reports a missing $FALCON_H1_CUDA_ADDON', () => {
    const list = addonCandidates(root, { FALCON_H1_CUDA_ADDON: '/nope.node' }, 'linux', 'x64');
    const result = loadAddon(
      list,
      () => good,
      (p) => p !== '/nope.node' && false,
    );
    expect(result.reason).toContain('/nope.node: FALCON_H1_CUDA_ADDON: no such file');
  });
});

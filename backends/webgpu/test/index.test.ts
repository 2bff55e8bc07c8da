import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as m from '../src/index.js';

describe('@falcon-h1/backend-webgpu (module)', () => {
  it('names itself and is a core-tensor BackendModule', () => {
    expect(m.PACKAGE_NAME).toBe('@falcon-h1/backend-webgpu');
    expect(m.backendName).toBe('webgpu');
    expect(typeof m.createBackend).toBe('function');
  });

  it('embeds the current shaders/*.wgsl (src/generated/shaders.ts is not stale)', () => {
    const script = fileURLToPath(new URL('../scripts/embed-shaders.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('answers isAvailable() with a reason either way', async () => {
    const probe = await m.isAvailable();
    expect(typeof probe.available).toBe('boolean');
    expect(probe.reason.length).toBeGreaterThan(0);
  });
});

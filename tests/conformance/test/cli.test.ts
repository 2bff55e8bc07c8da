/** The conformance CLI in-process: JSON report shape, third-party modules, unavailable backends, usage errors. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { runConformanceCli } from '../src/cli-main.js';

const dir = mkdtempSync(join(tmpdir(), 'conformance-cli-'));

function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  return fn().finally(() => {
    log.mockRestore();
    error.mockRestore();
  });
}

describe('conformance CLI', () => {
  it('certifies the reference backend and writes the JSON report', async () => {
    const json = join(dir, 'reference.json');
    const code = await quietly(() =>
      runConformanceCli(['--backend', 'reference', '--filter', '^(Softmax|Add)\\(', '--dtypes', 'f32', '--json', json]),
    );
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.backend).toBe('reference');
    expect(report.device).toMatch(/float64/);
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.results.length);
    expect(report.results.length).toBeGreaterThan(10);
    for (const r of report.results) {
      expect(r).toMatchObject({
        name: expect.any(String),
        pass: true,
        maxRelError: expect.any(Number),
        ms: expect.any(Number),
      });
    }
    // Fused kernels the backend has run twice: natively and through the composition.
    const softmax = report.results.filter((r: { kernel: string }) => r.kernel === 'Softmax');
    expect(new Set(softmax.map((r: { path: string }) => r.path))).toEqual(new Set(['native', 'composition']));
  });

  it('certifies a third-party backend module by path, composing the fused kernel it lacks', async () => {
    const json = join(dir, 'acme.json');
    const module = fileURLToPath(new URL('./fixtures/third-party-backend.ts', import.meta.url));
    const code = await quietly(() =>
      runConformanceCli(['--backend-module', module, '--filter', '^SsmScan\\(B=2,T=37', '--json', json]),
    );
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.backend).toBe('acme');
    expect(report.results.length).toBe(2); // f32 forward + backward; the module supports no 16-bit dtype
    expect(report.results.every((r: { path: string; pass: boolean }) => r.path === 'composition' && r.pass)).toBe(true);
  });

  it('reports an unavailable backend loudly with exit code 2', async () => {
    // A backend whose package is not installed (backend-wasm, used here before, is implemented now).
    const json = join(dir, 'unavailable.json');
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => errors.push(m));
    const code = await runConformanceCli(['--backend', 'not-installed', '--json', json]).finally(() =>
      spy.mockRestore(),
    );
    expect(code).toBe(2);
    expect(errors.join('\n')).toMatch(/BACKEND UNAVAILABLE[\s\S]*not-installed/);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ available: false, passed: 0, failed: 0 });
  });

  it('rejects a module that is not a backend module, and bad arguments', async () => {
    const notBackend = fileURLToPath(new URL('../src/compare.ts', import.meta.url));
    await expect(quietly(() => runConformanceCli(['--backend-module', notBackend]))).rejects.toThrow(
      /not a falcon-h1 backend module.*backendName/,
    );
    expect(await quietly(() => runConformanceCli(['--dtypes', 'f8', '--backend', 'reference']))).toBe(2);
    expect(await quietly(() => runConformanceCli([]))).toBe(2);
  });
});

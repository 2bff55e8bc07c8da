/** `conformance --fixture <dir>` in-process: one JSON row per checked tensor, and a refused folder. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { runConformanceCli } from '../src/cli-main.js';

const dir = mkdtempSync(join(tmpdir(), 'conformance-goldens-'));
const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));

function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  return fn().finally(() => {
    log.mockRestore();
    error.mockRestore();
  });
}

describe('conformance --fixture', () => {
  it('writes one row per checked tensor of each fixture, and only those', { timeout: 60_000 }, async () => {
    const json = join(dir, 'fixtures.json');
    const code = await quietly(() =>
      runConformanceCli([
        '--backend',
        'reference',
        '--fixture',
        fixture('tiny-b'),
        '--fixture',
        fixture('tiny-b-packed'),
        '--json',
        json,
      ]),
    );
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const names: string[] = report.results.map((r: { name: string }) => r.name);
    const forward = [
      'tiny-b logits f32',
      'tiny-b hidden_states.0 f32',
      'tiny-b hidden_states.1 f32',
      'tiny-b hidden_states.2 f32',
      'tiny-b loss f32',
      'tiny-b generate f32',
      'tiny-b generate (static decoder, eager) f32',
      'tiny-b-packed logits (packed documents) f32',
    ];
    // Every parameter's gradient of tiny-b (golden.grads.safetensors), and the packed batch's gradients.
    const gradients = names.filter((n) => n.startsWith('tiny-b grad.') || n.startsWith('tiny-b-packed gradients'));
    expect(names.filter((n) => !gradients.includes(n))).toEqual(forward);
    expect(gradients.filter((n) => n.startsWith('tiny-b grad.model.embed_tokens.weight'))).toHaveLength(1);
    expect(gradients.filter((n) => n.startsWith('tiny-b-packed gradients (packed vs'))).toHaveLength(1);
    for (const r of report.results) {
      const backward = gradients.includes(r.name);
      expect(r).toMatchObject({
        kernel: 'FalconH1ForCausalLM',
        dtype: 'f32',
        direction: backward ? 'backward' : 'forward',
        pass: true,
      });
      expect(r.relL2).toBeLessThanOrEqual(r.tolerance);
    }
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.results.length);
    expect(gradients.length).toBeGreaterThan(10);
  });

  it('fails a folder that is not a fixture, saying why', async () => {
    const json = join(dir, 'bad.json');
    const code = await quietly(() => runConformanceCli(['--backend', 'reference', '--fixture', dir, '--json', json]));
    expect(code).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.failed).toBe(1);
    expect(report.results[0].error).toMatch(/golden\.safetensors/);
  });
});

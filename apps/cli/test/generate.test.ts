/** `falcon-h1 generate` in-process: the golden fixture's greedy continuation, batches, streaming, usage errors. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSafetensors } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { type Io, main } from '../src/index.js';

const fixture = fileURLToPath(new URL('../../../tests/fixtures/tiny-b', import.meta.url));

function collector(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

/** The golden greedy continuation of the fixture's first row (transformers). */
function goldenRow(): { prompt: number[]; continuation: number[] } {
  const golden = parseSafetensors(readFileSync(`${fixture}/golden.safetensors`));
  const promptLength = (golden.tensors.get('generate.prompt_len')!.storage() as Int32Array)[0]!;
  const output = golden.tensors.get('generate.output_ids')!;
  const row = Array.from((output.storage() as Int32Array).subarray(0, output.shape[1]));
  return { prompt: row.slice(0, promptLength), continuation: row.slice(promptLength) };
}

describe('falcon-h1 generate', () => {
  it("prints transformers' greedy continuation of a golden prompt", async () => {
    const { prompt, continuation } = goldenRow();
    const io = collector();
    const code = await main(
      [
        'generate',
        '--model',
        fixture,
        '--prompt-ids',
        prompt.join(','),
        '--max-tokens',
        String(continuation.length),
        '--min-tokens',
        String(continuation.length),
      ],
      io,
    );
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([continuation.join(',')]);
  });

  it('runs a batch of prompts of different lengths, streams, and prints JSON', async () => {
    const io = collector();
    const args = [
      'generate',
      '--model',
      fixture,
      '--prompt-ids',
      '5,6,7',
      '--prompt-ids',
      '9',
      '--max-tokens',
      '3',
      '--backend',
      'reference',
    ];
    expect(await main([...args, '--stream'], io)).toBe(0);
    expect(io.stdout).toHaveLength(3);
    const json = collector();
    expect(await main([...args, '--json'], json)).toBe(0);
    const result = JSON.parse(json.stdout[0]!);
    expect(result.sequences).toHaveLength(2);
    expect(io.stdout.map((line) => Number(line.split(' ')[0]))).toEqual(result.sequences[0]);
  });

  it('reports usage errors with exit code 2, and a missing backend or model with exit code 1', async () => {
    const usage = collector();
    expect(await main(['generate', '--model', fixture, '--prompt-ids', '1,x', '--max-tokens', '2'], usage)).toBe(2);
    expect(usage.stderr.join('\n')).toMatch(/--prompt-ids must be comma-separated/);
    expect(await main(['generate', '--prompt-ids', '1', '--max-tokens', '2'], collector())).toBe(2);
    const missing = collector();
    expect(
      await main(
        ['generate', '--model', fixture, '--prompt-ids', '1', '--max-tokens', '1', '--backend', 'nope'],
        missing,
      ),
    ).toBe(1);
    expect(missing.stderr.join('\n')).toMatch(/@falcon-h1\/backend-nope/);
    const noModel = collector();
    expect(await main(['generate', '--model', '/nonexistent', '--prompt-ids', '1', '--max-tokens', '1'], noModel)).toBe(
      1,
    );
    expect(noModel.stderr.join('\n')).toMatch(/config\.json/);
  });
});

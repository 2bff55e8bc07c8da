/**
 * `falcon-h1 serve` in-process: it serves a model directory (tiny-a with the tokenizer built for the server tests),
 * and on a real SIGTERM finishes the streams in flight (each ends with its finish_reason and [DONE]) before it
 * stops and returns 0. Usage errors exit 2.
 */
import { describe, expect, it } from 'vitest';
// The server package's fixture: tiny-a with the tokenizer built for it.
import { makeTinyAModelDir } from '../../server/test/fixtures/tiny-a-model-dir.mjs';
import { type Io, main } from '../src/index.js';

function collector(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

async function until<T>(probe: () => T | undefined): Promise<T> {
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A streamed completion: resolves once the first event arrived, with a promise of all its events. */
async function openStream(url: string, maxTokens: number): Promise<Promise<string[]>> {
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'tiny-a',
      prompt: [5, 6, 7, 8, 9],
      max_tokens: maxTokens,
      temperature: 0,
      stream: true,
    }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value, { stream: true });
  return (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return text
      .split('\n\n')
      .filter((b) => b !== '')
      .map((b) => b.replace(/^data: /, ''));
  })();
}

describe('falcon-h1 serve', () => {
  it('serves until SIGTERM, then finishes the streams in flight and exits 0', { timeout: 120_000 }, async () => {
    const io = collector();
    const exit = main(['serve', '--model', await makeTinyAModelDir(), '--backend', 'wasm', '--port', '0'], io);
    const url = await until(() => /listening on (http:\/\/\S+)/.exec(io.stdout.join('\n'))?.[1]);
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data[0]!.id).toBe('tiny-a');

    const streams = await Promise.all([openStream(url, 60), openStream(url, 80), openStream(url, 100)]);
    process.kill(process.pid, 'SIGTERM');
    for (const events of await Promise.all(streams)) {
      expect(events.at(-1)).toBe('[DONE]');
      const last = JSON.parse(events.at(-2)!);
      expect(last.choices[0].finish_reason).toBe('length');
    }
    expect(await exit).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(io.stdout.at(-1)).toBe('falcon-h1 serve: stopped');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('refuses bad usage with exit code 2', async () => {
    const io = collector();
    expect(await main(['serve'], io)).toBe(2);
    expect(io.stderr[0]).toContain('--model <dir> is required');
    const port = collector();
    expect(await main(['serve', '--model', 'x', '--port', '70000'], port)).toBe(2);
    expect(port.stderr[0]).toContain('--port');
    const help = collector();
    expect(await main(['serve', '--help'], help)).toBe(0);
    expect(help.stdout[0]).toContain('Usage: falcon-h1 serve');
  });
});

/**
 * The playground page in headless Chromium on WebGPU (issue #6): a real static server serves the bundled page and
 * the tiny-a fixture, Chromium (started as the backend's browser conformance run starts it, WebGPU on its
 * SwiftShader adapter: backends/webgpu/scripts/chromium.mjs) loads it, the page runs tiny-a's forward and greedy generation on navigator.gpu,
 * and the logits and tokens it shows are compared with what transformers computed in float64
 * (tests/fixtures/tiny-a/golden.safetensors): f32 logits within 1e-5 relative L2 (the conformance suite's f32
 * bound for the model goldens), generated tokens identical.
 *
 * Without Chromium or a WebGPU adapter in it, the test says so loudly and is skipped — or fails, when
 * FALCON_REQUIRE_BACKENDS names webgpu (the convention of tests/conformance/test/backends-here.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, storageToValues } from '@falcon-h1/core-tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { launchWebGPUChromium } from '../../../backends/webgpu/scripts/chromium.mjs';
import type { PageOutcome } from '../src/page/main.js';
import { bundlePage, PACKAGE_DIR } from '../src/server/bundle-page.js';
import { fixtureModels, type RunningServer, startStaticServer } from '../src/server/static-server.js';

const REPO = join(PACKAGE_DIR, '..', '..');
const TINY_A = join(REPO, 'tests', 'fixtures', 'tiny-a');
/** The conformance suite's f32 bound for the model goldens (tests/conformance/src/compare.ts TOLERANCE.f32). */
const F32_TOLERANCE = 1e-5;
const required = (process.env.FALCON_REQUIRE_BACKENDS ?? '').split(',').includes('webgpu');

function golden(name: string): { shape: number[]; values: number[] } {
  const file = parseSafetensors(readFileSync(join(TINY_A, 'golden.safetensors')));
  const entry = file.tensors.get(name);
  if (!entry) throw new Error(`tiny-a golden has no '${name}'`);
  return { shape: entry.shape, values: Array.from(storageToValues(entry.storage(), entry.dtype) as ArrayLike<number>) };
}

function rows(t: { shape: number[]; values: number[] }, take?: number): number[][] {
  const [b, w] = t.shape as [number, number];
  return Array.from({ length: b }, (_, r) => t.values.slice(r * w, r * w + (take ?? w)));
}

/** ‖got − want‖ / ‖want‖; NaN anywhere gives Infinity. */
function relL2(got: readonly number[], want: readonly number[]): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let d2 = 0;
  let w2 = 0;
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(got[i]!)) return Number.POSITIVE_INFINITY;
    d2 += (got[i]! - want[i]!) ** 2;
    w2 += want[i]! ** 2;
  }
  return Math.sqrt(d2) / Math.sqrt(w2);
}

const www = mkdtempSync(join(tmpdir(), 'falcon-playground-www-'));
let server: RunningServer | undefined;
let browser: Awaited<ReturnType<typeof launchWebGPUChromium>> | undefined;
let unavailable: string | undefined;
try {
  await bundlePage(www);
  server = await startStaticServer({ wwwDir: www, models: fixtureModels(REPO) });
  browser = await launchWebGPUChromium();
  // An adapter at all? (The page itself reports 'unavailable' too; probing first keeps the two apart.)
  const probe = await browser.context.newPage();
  await probe.goto(`${server.url}models/none`);
  const adapter = await probe.evaluate(async () => {
    const gpu = (navigator as { gpu?: GPU }).gpu;
    if (!gpu) return 'navigator.gpu is missing';
    return (await gpu.requestAdapter()) ? '' : 'navigator.gpu.requestAdapter() returned null';
  });
  await probe.close();
  if (adapter) unavailable = `Chromium has no WebGPU adapter: ${adapter}`;
} catch (error) {
  unavailable = (error as Error).message;
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(www, { recursive: true, force: true });
});

if (unavailable) {
  console.warn(`\n*** playground page test: WebGPU in headless Chromium UNAVAILABLE here: ${unavailable}\n`);
  if (required) {
    it('runs in headless Chromium on WebGPU (required by FALCON_REQUIRE_BACKENDS)', () => {
      throw new Error(unavailable);
    });
  } else {
    describe.skip(`playground page: WebGPU in Chromium UNAVAILABLE (${unavailable})`, () => {
      it('unavailable', () => {});
    });
  }
}

describe.runIf(!unavailable)('the playground page in headless Chromium (WebGPU, SwiftShader)', () => {
  it("runs tiny-a's forward and greedy generation as transformers does", async () => {
    const inputIds = golden('input_ids');
    const promptLength = golden('generate.prompt_len').values[0]!;
    const outputIds = golden('generate.output_ids');
    const newTokens = outputIds.shape[1]! - promptLength;
    const query = new URLSearchParams({
      model: 'models/tiny-a/',
      ids: rows(inputIds)
        .map((r) => r.join(','))
        .join(';'),
      prompt: rows(outputIds, promptLength)
        .map((r) => r.join(','))
        .join(';'),
      new: String(newTokens),
      // transformers' golden generate call: min_new_tokens = max_new_tokens.
      minNew: String(newTokens),
    });
    const page = await browser!.context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(`page error: ${e.message}`));
    await page.goto(`${server!.url}?${query}`);
    await page.waitForFunction(() => 'falconPlayground' in globalThis, undefined, { timeout: 120_000 });
    const outcome = (await page.evaluate(
      () => (globalThis as { falconPlayground?: unknown }).falconPlayground,
    )) as PageOutcome;
    if (outcome.state !== 'done')
      throw new Error(`the page ended in '${outcome.state}': ${JSON.stringify(outcome)}\n${logs.join('\n')}`);
    expect(outcome.device).toMatch(/WebGPU .* via navigator\.gpu/);
    const { result } = outcome;

    const logits = golden('logits');
    expect(result.logitsShape).toEqual(logits.shape);
    const error = relL2(result.logits, logits.values);
    console.log(`playground page, tiny-a f32 logits on ${outcome.device}: relative L2 ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(F32_TOLERANCE);

    // The next token of each row is the golden logits' argmax at its last position.
    const [b, t, v] = logits.shape as [number, number, number];
    const wantNext = Array.from({ length: b }, (_, r) => {
      const last = logits.values.slice((r * t + t - 1) * v, (r * t + t) * v);
      return last.indexOf(Math.max(...last));
    });
    expect(result.nextTokens).toEqual(wantNext);

    expect(result.generated).toEqual(rows(outputIds).map((r) => r.slice(promptLength)));
    expect(result.leakedTensors).toBe(0);
    // What the user sees: the generated tokens are on the page.
    const shown = await page.locator('#output').textContent();
    expect(shown).toContain(result.generated[0]!.join(', '));
    await page.close();
  });

  it('shows a clear error for a model that is not there and for a bad token id', async () => {
    const page = await browser!.context.newPage();
    for (const [query, want] of [
      ['model=models/nope/', /cannot fetch '.*models\/nope\/config\.json': HTTP 404/],
      ['model=models/tiny-a/&ids=1,2,x', /forward token ids, row 1: 'x' is not a token id in \[0, 384\)/],
    ] as const) {
      await page.goto(`${server!.url}?${query}`);
      await page.waitForFunction(() => 'falconPlayground' in globalThis, undefined, { timeout: 60_000 });
      const outcome = (await page.evaluate(
        () => (globalThis as { falconPlayground?: unknown }).falconPlayground,
      )) as PageOutcome;
      expect(outcome.state, query).toBe('error');
      expect(outcome.state === 'error' && outcome.message, query).toMatch(want);
      expect(await page.locator('#status').textContent()).toMatch(want);
    }
    await page.close();
  });
});

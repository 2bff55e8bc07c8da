/**
 * The model's decode path on the webgpu backend in Node, through Dawn (issue #6: "decode with no per-token pipeline creation, one command
 * encoder per step, asynchronous readback only where the user reads"), counted with the backend's work counters
 * while hybrid-block's `generate` decodes tiny-a greedily: after the first decode step no pipeline is compiled,
 * and every step is one submit and one readback (the row of logits the sampler reads). The tokens are checked
 * against transformers' golden generation too, so the counted path is the correct one.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createWebGPUBackend, isAvailable, type WebGPUBackend, type WebGPUStats } from '@falcon-h1/backend-webgpu/base';
import { memory, parseSafetensors, storageToValues, useBackend } from '@falcon-h1/core-tensor';
import { generate, loadFalconH1 } from '@falcon-h1/hybrid-block';
import { afterAll, describe, expect, it } from 'vitest';

const TINY_A = fileURLToPath(new URL('../../../tests/fixtures/tiny-a/', import.meta.url));
const probe = await isAvailable();
const required = (process.env.FALCON_REQUIRE_BACKENDS ?? '').split(',').includes('webgpu');
if (!probe.available) {
  console.warn(`\n*** playground decode-path test: the webgpu backend is UNAVAILABLE in Node here: ${probe.reason}\n`);
}

describe.runIf(!probe.available && required)('webgpu required', () => {
  it('has an adapter in Node (FALCON_REQUIRE_BACKENDS=webgpu)', () => {
    throw new Error(probe.reason);
  });
});

function goldenInts(name: string): { shape: number[]; values: number[] } {
  const entry = parseSafetensors(readFileSync(`${TINY_A}golden.safetensors`)).tensors.get(name)!;
  return { shape: entry.shape, values: Array.from(storageToValues(entry.storage(), entry.dtype) as ArrayLike<number>) };
}

const delta = (a: WebGPUStats, b: WebGPUStats): WebGPUStats => ({
  pipelinesCreated: b.pipelinesCreated - a.pipelinesCreated,
  submits: b.submits - a.submits,
  dispatches: b.dispatches - a.dispatches,
  readbacks: b.readbacks - a.readbacks,
  buffersCreated: b.buffersCreated - a.buffersCreated,
  bindGroupsCreated: b.bindGroupsCreated - a.bindGroupsCreated,
  graphsCaptured: b.graphsCaptured - a.graphsCaptured,
  graphReplays: b.graphReplays - a.graphReplays,
});

describe.runIf(probe.available)('decoding tiny-a on webgpu', async () => {
  const b = (probe.available ? await createWebGPUBackend() : undefined) as WebGPUBackend;
  afterAll(() => b?.dispose());

  it('compiles no pipeline after the first step and submits and reads back once per token', async () => {
    useBackend(b);
    const model = await loadFalconH1(TINY_A, { backend: b });
    const promptLength = goldenInts('generate.prompt_len').values[0]!;
    const output = goldenInts('generate.output_ids');
    const width = output.shape[1]!;
    const prompt = output.values.slice(0, promptLength);
    const want = output.values.slice(promptLength, width);
    const before = memory().numTensors;

    // Per generated token: the counters between two onToken calls (step 0 is the prefill).
    const steps: WebGPUStats[] = [];
    let last = b.stats();
    const { sequences } = await generate(model, [prompt], {
      maxNewTokens: want.length,
      minNewTokens: want.length,
      onToken: () => {
        const now = b.stats();
        steps.push(delta(last, now));
        last = now;
      },
    });
    expect(sequences[0]).toEqual(want);
    expect(memory().numTensors).toBe(before);
    const layers = model.config.num_hidden_layers;
    model.dispose();

    const decode = steps.slice(1);
    console.log(
      `tiny-a decode on ${b.device}, per step: ` +
        decode
          .map(
            (s) =>
              `${s.pipelinesCreated}p/${s.submits}s/${s.readbacks}r/${s.dispatches}d/${s.buffersCreated}b/${s.bindGroupsCreated}g`,
          )
          .join(' '),
    );
    expect(decode.length).toBe(want.length - 1);
    // The first decode step may compile the one-token variants (SsmStep, CausalConv1dUpdate, …); then none.
    for (const s of decode.slice(1)) expect(s.pipelinesCreated).toBe(0);
    for (const s of decode) {
      expect(s.submits).toBe(1);
      expect(s.readbacks).toBe(1);
      expect(s.dispatches).toBeGreaterThan(0);
    }
    // After the first step the pool serves every allocation but the growing KV cache (hybrid-block concatenates
    // one position per step): at most a new K and V buffer per layer when a size outgrows its pool bucket.
    for (const s of decode.slice(1)) expect(s.buffersCreated).toBeLessThanOrEqual(2 * layers);
  });
});

/**
 * Continuous batching is exact: a request's greedy tokens are the same whether it runs alone (hybrid-block's
 * `generate`) or joins a decode batch of other sequences of different lengths, arriving at different steps, with
 * long prompts prefilled in chunks, short ones prefilled together as a padded batch, and with neighbours cancelled
 * mid-way. Run on the wasm backend and on the
 * float64 reference backend.
 */
import { createBackend as createReference } from '@falcon-h1/backend-reference';
import { type Backend, memory, useBackend } from '@falcon-h1/core-tensor';
import { generate } from '@falcon-h1/hybrid-block';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadServedModel,
  QueueFullError,
  RequestTooLargeError,
  Scheduler,
  type SequenceFinish,
  type ServedModel,
} from '../src/index.js';
import { makeModelDir, wasmBackend } from './support/fixture-model.js';

const GREEDY = { temperature: 0, topP: 1, topK: 0, presencePenalty: 0, frequencyPenalty: 0, seed: 0 };

/** Deterministic prompts of many lengths (token ids of the vocabulary past the special tokens). */
function prompt(length: number, salt: number): number[] {
  return Array.from({ length }, (_, i) => 5 + ((i * 37 + salt * 101) % 370));
}

interface Outcome {
  tokens: number[];
  finish: SequenceFinish | undefined;
}

function submit(scheduler: Scheduler, promptIds: number[], maxTokens: number, stopTokenIds: number[]) {
  const outcome: Outcome = { tokens: [], finish: undefined };
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const [sequence] = scheduler.submit([
    {
      request: { promptIds, maxTokens, sampling: GREEDY, stopTokenIds },
      listener: {
        token: (id) => outcome.tokens.push(id),
        finish: (reason) => {
          outcome.finish = reason;
          resolve();
        },
      },
    },
  ]);
  return { outcome, done, sequence: sequence! };
}

const afterTicks = (n: number) =>
  new Promise<void>((resolve) => {
    let left = n;
    const tick = () => (--left <= 0 ? resolve() : setImmediate(tick));
    setImmediate(tick);
  });

async function checkAgainstGenerate(served: ServedModel, backend: Backend) {
  useBackend(backend);
  const batchSizes: number[] = [];
  const scheduler = new Scheduler(
    served.model,
    { prefillChunk: 16, maxBatch: 8 },
    { decodeStep: (rows) => batchSizes.push(rows) },
  );
  const stop = served.stopTokenIds;
  const specs = [
    { promptIds: prompt(3, 1), maxTokens: 20 },
    { promptIds: prompt(40, 2), maxTokens: 12 }, // three prefill chunks of 16
    { promptIds: prompt(1, 3), maxTokens: 25 },
    { promptIds: prompt(17, 4), maxTokens: 6 },
    { promptIds: prompt(9, 5), maxTokens: 30 },
    { promptIds: prompt(64, 6), maxTokens: 10 },
  ];
  const before = memory().numTensors;
  // Arrivals at different steps: two now, the rest a few event-loop turns later, one after another.
  const runs = [
    submit(scheduler, specs[0]!.promptIds, specs[0]!.maxTokens, stop),
    submit(scheduler, specs[1]!.promptIds, specs[1]!.maxTokens, stop),
  ];
  const victim = submit(scheduler, prompt(12, 9), 40, stop);
  for (const spec of specs.slice(2)) {
    await afterTicks(3);
    runs.push(submit(scheduler, spec.promptIds, spec.maxTokens, stop));
  }
  await afterTicks(4);
  victim.sequence.cancel();
  await Promise.all([...runs.map((r) => r.done), victim.done]);
  await scheduler.idle();
  expect(victim.outcome.finish).toBe('cancelled');
  // The sequences really shared decode steps.
  expect(Math.max(...batchSizes)).toBeGreaterThanOrEqual(5);
  // Every cache freed: no tensor left beyond what existed before.
  expect(memory().numTensors).toBe(before);
  for (const [i, spec] of specs.entries()) {
    const alone = await generate(served.model, [spec.promptIds], { maxNewTokens: spec.maxTokens, stopTokens: stop });
    expect(runs[i]!.outcome.tokens, `sequence ${i}`).toEqual(alone.sequences[0]);
    expect(runs[i]!.outcome.finish).toBe(alone.finishReasons[0]);
  }
}

const models: ServedModel[] = [];
afterAll(() => {
  for (const m of models) m.model.dispose();
});

describe('continuous batching', () => {
  it('gives every sequence the greedy tokens it gets alone (wasm)', { timeout: 60_000 }, async () => {
    const backend = await wasmBackend();
    const served = await loadServedModel(await makeModelDir(), { backend });
    models.push(served);
    await checkAgainstGenerate(served, backend);
  });

  it('gives every sequence the greedy tokens it gets alone (reference, float64 oracle)', {
    timeout: 60_000,
  }, async () => {
    const backend = await createReference();
    const served = await loadServedModel(await makeModelDir(), { backend });
    models.push(served);
    await checkAgainstGenerate(served, backend);
  });

  it('prefills a burst of prompts of different lengths together, each as if alone', async () => {
    const backend = await wasmBackend();
    const served = await loadServedModel(await makeModelDir(), { backend });
    models.push(served);
    const prefills: number[] = [];
    const scheduler = new Scheduler(served.model, { prefillChunk: 256 }, { promptTokens: (n) => prefills.push(n) });
    const specs = [1, 7, 30, 2, 16, 11, 25, 5].map((length, i) => ({
      promptIds: prompt(length, 20 + i),
      maxTokens: 10,
    }));
    const runs = specs.map((spec) => submit(scheduler, spec.promptIds, spec.maxTokens, served.stopTokenIds));
    await Promise.all(runs.map((r) => r.done));
    await scheduler.idle();
    // One padded prefill call for all of them.
    expect(prefills).toEqual([specs.reduce((n, s) => n + s.promptIds.length, 0)]);
    for (const [i, spec] of specs.entries()) {
      const alone = await generate(served.model, [spec.promptIds], {
        maxNewTokens: spec.maxTokens,
        stopTokens: served.stopTokenIds,
      });
      expect(runs[i]!.outcome.tokens, `sequence ${i}`).toEqual(alone.sequences[0]);
    }
  });

  it('admits only what fits the cache budget and queues with a bound', { timeout: 60_000 }, async () => {
    const backend = await wasmBackend();
    const served = await loadServedModel(await makeModelDir(), { backend });
    models.push(served);
    const probe = new Scheduler(served.model);
    const { bytesPerToken, bytesPerSequence } = probe.pool.footprint;
    expect(bytesPerToken).toBeGreaterThan(0);
    expect(bytesPerSequence).toBeGreaterThan(0);
    // Room for exactly two sequences of 50 tokens; a queue of 3.
    const scheduler = new Scheduler(served.model, {
      cacheBudgetBytes: 2 * (50 * bytesPerToken + bytesPerSequence),
      maxQueue: 3,
    });
    const runs = Array.from({ length: 3 }, (_, i) => submit(scheduler, prompt(10, i), 40, []));
    expect(scheduler.queueDepth).toBe(3); // nothing is admitted before the loop's first turn
    expect(() => submit(scheduler, prompt(5, 0), 5, [])).toThrow(QueueFullError);
    await afterTicks(1);
    expect(scheduler.activeCount).toBe(2);
    expect(scheduler.queueDepth).toBe(1);
    expect(scheduler.reservedCacheBytes).toBeLessThanOrEqual(scheduler.pool.budgetBytes);
    runs.push(submit(scheduler, prompt(7, 3), 40, []), submit(scheduler, prompt(8, 4), 40, []));
    expect(() => submit(scheduler, prompt(5, 0), 5, [])).toThrow(QueueFullError);
    // A sequence that could never fit is refused outright rather than queued forever.
    expect(() => submit(scheduler, prompt(10, 0), 200, [])).toThrow(RequestTooLargeError);
    await Promise.all(runs.map((r) => r.done));
    await scheduler.idle();
    for (const r of runs) expect(r.outcome.tokens).toHaveLength(40);
  });
});

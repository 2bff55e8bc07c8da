/**
 * bench-model.ts — Falcon-H1-0.5B-shaped model speed on the CUDA backend, the figures of issue #7 (§6):
 * prefill 1×2048 and 8×2048 (tokens/s, last-position logits as generation computes them), decode at batch 1 and
 * 32 after a 512-token prompt (tokens/s, one token read back per row per step as `generate` does), and one training
 * step on 4×2048 tokens (forward + backward + AdamW over every parameter; tokens/s and the allocator's peak bytes).
 * Random bf16 weights (the 0.5B preset's shapes, `falconH1Preset('0.5B')`); the config is written to
 * $OUT/bench-model-config.json so tools/cuda/bench_model_torch.py builds transformers' model with the same shapes
 * in the same call. Timings are wall-clock between `synchronize()` calls, median of the repetitions after warm-up.
 * Bundled by tools/cuda/bundle-gpu.mjs into .gpu/cuda/bench-model.mjs.
 * `--only kernels` prints where the GPU time of a 1×2048 prefill and of a 4×2048 training step goes, per kernel name
 * (gpu-kernel-profile.ts: CUDA events around every kernel call; self milliseconds), as tables and in the JSON.
 * `--only decode-trace [--batch B] [--state16]` runs one fenced eager decode step for Nsight Compute
 *   (tools/cuda/ncu-decode.sh; --state16: the SSM state in the activations' dtype);
 * `--only prefill-trace [--batch B]` one fenced eager [B, 2048] prefill (tools/cuda/ncu-decode.sh --prefill).
 * `--only decode-static` times the static decoder alone (CUDA graph, B1 and B32).
 * `--alias-layers` (a diagnostic, not a model): every layer runs layer 0's inference constants, so the weights a
 * decode step streams (one layer's, ~25 MB) stay in L2 — what the step would take if weight streaming cost nothing
 * beyond the embedding and LM head; the tokens are not the model's.
 *   usage: node bench-model.mjs [--only profile,prefill,decode,decode-static,train,kernels,decode-trace,
 *          prefill-trace]
 *          [--decode-steps N (the peer's decode; the static-decoder rows time at least 128)] [--alias-layers]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCudaBackend } from '@falcon-h1/backend-cuda';
import type { Tensor, Variable } from '@falcon-h1/core-tensor';
import * as ops from '@falcon-h1/core-tensor';
import {
  type FalconH1ForCausalLM,
  falconH1ConfigJsonText,
  falconH1ParameterCount,
  falconH1Preset,
  randomFalconH1,
  StaticDecoder,
} from '@falcon-h1/hybrid-block';
import { kernelTable, profileGpuKernels } from './gpu-kernel-profile.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = new Set((flag('--only') ?? 'profile,prefill,decode,train').split(','));
const decodeSteps = Number(flag('--decode-steps') ?? 128);
const out = process.env.OUT;

const backend = createCudaBackend();
ops.useBackend(backend);
const preset = falconH1Preset('0.5B');
const config = preset.config;
if (out) writeFileSync(join(out, 'bench-model-config.json'), falconH1ConfigJsonText(config, 'bf16'));

const rows: Array<Record<string, number | string>> = [];
function record(row: Record<string, number | string>): void {
  rows.push(row);
  console.log(JSON.stringify(row));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Row-major [b, t] random token ids (xorshift from `seed`). */
function hostIds(b: number, t: number, seed: number): Int32Array {
  let s = seed >>> 0 || 1;
  const ids = new Int32Array(b * t);
  for (let i = 0; i < ids.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    ids[i] = (s >>> 0) % config.vocab_size;
  }
  return ids;
}
const randomIds = (b: number, t: number, seed: number): Tensor => ops.tensor(hostIds(b, t, seed), [b, t], 'i32');

async function timeIt(fn: () => Promise<void> | void, repeats: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  await backend.synchronize();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    await backend.synchronize();
    times.push(performance.now() - start);
  }
  return median(times);
}

const started = performance.now();
const model: FalconH1ForCausalLM = randomFalconH1(config, { dtype: 'bf16', seed: 7 });
await backend.synchronize();
const parameterCount = falconH1ParameterCount(config);
const weightBytes = parameterCount * 2;
console.log(
  `# Falcon-H1-0.5B shapes: ${parameterCount} parameters (${(weightBytes / 2 ** 30).toFixed(3)} GiB bf16), ` +
    `random init ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
record({ what: 'model', parameters: parameterCount, weightBytes });
/** With --alias-layers: the constants' own per-layer list, put back before they are released. */
let ownLayers: unknown[] | undefined;
if (args.includes('--alias-layers')) {
  const layers = model.prepareInference().layers as unknown[];
  ownLayers = [...layers];
  layers.fill(layers[0]);
  console.log('# --alias-layers: every layer reads layer 0 inference constants (diagnostic; tokens are not the model)');
  record({ what: 'alias-layers', layers: layers.length });
}

async function prefill(b: number, t: number): Promise<void> {
  const ids = randomIds(b, t, 11);
  const once = (): void => {
    const logits = ops.tidy(() => model.forward(ids, { logitsToKeep: 1 }).logits);
    logits.dispose();
  };
  // The plain layers first (the prefill before inference mode, and what training's forward runs), so one call gives
  // both figures on the same card.
  const plainMs = await timeIt(once, 3);
  // Inference mode, made once OUTSIDE the timed region as a server does when it loads the weights: every layer's
  // weights with the μP multipliers folded in, [in_proj ; q|k|v] and out_proj | o_proj merged, gate|up packed
  // (hybrid-block's inference-constants.ts). A prefill is host-bound here (~13 µs of dispatch per kernel), and the
  // constants halve its kernels per layer (50 → 25 in bf16: packages/hybrid-block/test/prefill-kernels.test.ts);
  // preparing them per prefill would time a copy of the weights instead. Released after, so the decode and training
  // figures below run as before (the decoders make their own constants; a tape never reads these).
  model.prepareInference();
  const ms = await timeIt(once, 3);
  // The same forward captured once as a CUDA graph and replayed (core-tensor's captureGraph: the ids a variable
  // overwritten in place before each replay, the positions made before capturing): what a prefill of a fixed shape
  // (a server's fixed-size prefill chunk) costs when no host dispatch paces it — the GPU time of the kernels. Its
  // logits are checked against the eager forward's on fresh ids.
  const initialIds = randomIds(b, t, 12);
  const idsVar = ops.variable(initialIds, { trainable: false }); // a copy
  initialIds.dispose();
  const positions = ops.tensor(
    Int32Array.from({ length: b * t }, (_, i) => i % t),
    [b, t],
    'i32',
  );
  const graph = ops.captureGraph(() => model.forward(idsVar, { positions, logitsToKeep: 1 }).logits);
  const fresh = randomIds(b, t, 11);
  ops.overwrite(idsVar, fresh);
  graph.replay();
  const replayed = (await graph.outputs.data()) as Float32Array | Uint16Array;
  const eager = ops.tidy(() => model.forward(fresh, { logitsToKeep: 1 }).logits);
  const eagerValues = (await eager.data()) as Float32Array | Uint16Array;
  eager.dispose();
  fresh.dispose();
  let sameLogits = replayed.length === eagerValues.length;
  for (let i = 0; sameLogits && i < replayed.length; i++) sameLogits = replayed[i] === eagerValues[i];
  const graphMs = await timeIt(() => graph.replay(), 5);
  graph.dispose();
  idsVar.dispose();
  positions.dispose();
  model.releaseInference();
  ids.dispose();
  const row = (path: string, time: number, extra: Record<string, string> = {}): void =>
    record({
      what: 'prefill',
      path,
      batch: b,
      tokens: t,
      ms: time,
      tokensPerSecond: (b * t) / (time / 1000),
      ...extra,
    });
  row('plain layers', plainMs);
  row('inference constants', ms);
  row('inference constants, captured forward (CUDA graph replay)', graphMs, {
    logitsEqualEager: sameLogits ? 'yes' : 'NO',
  });
}

async function decode(b: number, prompt: number, steps: number): Promise<void> {
  const cache = model.createCache(b);
  const ids = randomIds(b, prompt, 13);
  let next = ops.tidy(() => ops.argMax(model.forward(ids, { cache, logitsToKeep: 1 }).logits, -1));
  ids.dispose();
  await next.data();
  const stepOnce = async (): Promise<void> => {
    const input = ops.reshape(next, [b, 1]);
    const chosen = ops.tidy(() => ops.argMax(model.forward(input, { cache, logitsToKeep: 1 }).logits, -1));
    next.dispose();
    next = chosen;
    await chosen.data(); // the host needs each token (sampling, stop tokens, streaming), as in generate()
  };
  for (let i = 0; i < 4; i++) await stepOnce();
  await backend.synchronize();
  const start = performance.now();
  for (let i = 0; i < steps; i++) await stepOnce();
  await backend.synchronize();
  const ms = (performance.now() - start) / steps;
  next.dispose();
  cache.dispose();
  record({
    what: 'decode',
    path: 'hybrid cache, eager',
    batch: b,
    prompt,
    steps,
    msPerStep: ms,
    tokensPerSecond: b / (ms / 1000),
  });
}

/** Random prompts as host arrays (the StaticDecoder prefills them itself). */
function randomPrompts(b: number, t: number, seed: number): number[][] {
  const values = hostIds(b, t, seed);
  return Array.from({ length: b }, (_, row) => Array.from(values.subarray(row * t, (row + 1) * t)));
}

/**
 * Decode through the StaticDecoder: fixed-capacity caches updated in place, the step captured into a CUDA Graph
 * and replayed (one host call per token). Also checks the replayed tokens against the same decoder run eagerly.
 */
async function decodeStatic(b: number, prompt: number, steps: number): Promise<void> {
  const prompts = randomPrompts(b, prompt, 13);
  const maxLength = prompt + steps + 16;
  const check = 12;
  const tokensOf = async (decoder: StaticDecoder, n: number): Promise<number[][]> => {
    const out: number[][] = [];
    for (let i = 0; i < n; i++) out.push([...((await decoder.step().tokens.data()) as Int32Array)]);
    return out;
  };
  type Setting = { capture: boolean; ssmStateDtype?: 'activations' };
  const sameTokens = (x: number[][], y: number[][]): boolean => JSON.stringify(x) === JSON.stringify(y);
  /** A decoder's first `check` tokens, and with `timed` the ms per step of its next steps − check. */
  const run = async (setting: Setting, timed = true): Promise<[number, number[][]]> => {
    const decoder = new StaticDecoder(model, prompts, { maxLength, ...setting });
    const tokens = await tokensOf(decoder, check);
    let ms = Number.NaN;
    if (timed) {
      await backend.synchronize();
      const t0 = performance.now();
      await tokensOf(decoder, steps - check);
      ms = (performance.now() - t0) / (steps - check);
    }
    decoder.dispose();
    return [ms, tokens];
  };
  const [eagerMs, eagerTokens] = await run({ capture: false });
  const [graphMs, graphTokens] = await run({ capture: true });
  // The host one step ahead of its reads: step n + 1 is enqueued before step n's token (its read enqueued right
  // after step n, so stream-ordered before step n + 1 overwrites it) is awaited — the greedy token never leaves the
  // device, so the host's replay call overlaps the GPU's step (tools/webgpu/bench-model.mjs measures the same).
  const timeAhead = async (setting: Omit<Setting, 'capture'>): Promise<[number, number[][]]> => {
    const ahead = new StaticDecoder(model, prompts, { maxLength, capture: true, ...setting });
    const aheadTokens: number[][] = [];
    let pending: Promise<unknown> | undefined;
    const stepAhead = async (): Promise<void> => {
      const read = ahead.step().tokens.data();
      if (pending) aheadTokens.push([...((await pending) as Int32Array)]);
      pending = read;
    };
    for (let i = 0; i < check; i++) await stepAhead();
    const t0 = performance.now();
    for (let i = 0; i < steps - check; i++) await stepAhead();
    if (pending) aheadTokens.push([...((await pending) as Int32Array)]);
    const ms = (performance.now() - t0) / (steps - check);
    ahead.dispose();
    return [ms, aheadTokens.slice(0, check)];
  };
  const [aheadMs, aheadTokens] = await timeAhead({});
  // The same graph with the SSM states in the model's bf16 (StaticDecoder's ssmStateDtype: 'activations', as
  // transformers keeps them): half the state bytes. Its tokens may differ from the f32 state's after a few steps
  // (different numerics), so they are compared with an eager decoder of the same setting (not timed).
  const state16 = { ssmStateDtype: 'activations' as const };
  const [, eager16Tokens] = await run({ capture: false, ...state16 }, false);
  const [graph16Ms, graph16Tokens] = await run({ capture: true, ...state16 });
  const [ahead16Ms, ahead16Tokens] = await timeAhead(state16);
  const row = (path: string, ms: number, match?: boolean): void =>
    record({
      what: 'decode',
      path,
      batch: b,
      prompt,
      steps: steps - check,
      msPerStep: ms,
      tokensPerSecond: b / (ms / 1000),
      ...(match === undefined ? {} : { tokensMatchEager: match ? 'yes' : 'NO' }),
    });
  row('static cache, eager', eagerMs);
  row('static cache, CUDA graph', graphMs, sameTokens(graphTokens, eagerTokens));
  row('static cache, CUDA graph, host one step ahead', aheadMs, sameTokens(aheadTokens, eagerTokens));
  row('static cache, CUDA graph, bf16 SSM state', graph16Ms, sameTokens(graph16Tokens, eager16Tokens));
  row(
    'static cache, CUDA graph, bf16 SSM state, host one step ahead',
    ahead16Ms,
    sameTokens(ahead16Tokens, eager16Tokens),
  );
}

/** One timed training step (forward, backward, AdamW); returns its peak device bytes. */
async function train(
  b: number,
  t: number,
  gradientCheckpointing: boolean | number,
  profileKernels = false,
): Promise<number> {
  const params = [...model.parameters.values()] as Variable[];
  // The library's optimizer, as the trainer steps it: f32 moments, every parameter in one AdamWMulti launch.
  const optimizer = new ops.AdamW([{ params }], { lr: 1e-4, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
  const ids = randomIds(b, t, 17);
  const once = async (): Promise<void> => {
    const { value, grads } = ops.valueAndGrads(() => model.loss(ids, { gradientCheckpointing }), params);
    optimizer.step(grads);
    ops.dispose(grads);
    await value.data();
    value.dispose();
  };
  await backend.synchronize();
  backend.ctx.resetPeak();
  const before = backend.stats();
  const ms = await timeIt(once, 3);
  const after = backend.stats();
  if (profileKernels) {
    const profile = await profileGpuKernels(backend, once);
    console.log(
      kernelTable(
        `# kernels of one training step ${b}×${t} (profiled; the step alone took ${ms.toFixed(0)} ms)`,
        profile,
      ),
    );
    record({
      what: 'train-kernels',
      batch: b,
      tokens: t,
      totalMs: profile.totalMs,
      kernels: JSON.stringify(profile.kernels),
    });
  }
  ids.dispose();
  optimizer.dispose();
  // 6 N T for the matmuls with parameters plus the attention scores (12 L T² d per sequence, causal half).
  const attentionFlops = 6 * config.num_hidden_layers * t * t * config.num_attention_heads * config.head_dim;
  const flopsPerStep = b * (6 * parameterCount * t + attentionFlops);
  record({
    what: 'train',
    gradientCheckpointing:
      typeof gradientCheckpointing === 'number'
        ? `first ${gradientCheckpointing} of ${config.num_hidden_layers} layers`
        : gradientCheckpointing
          ? 'per layer'
          : 'off',
    batch: b,
    tokens: t,
    ms,
    tokensPerSecond: (b * t) / (ms / 1000),
    tflops: flopsPerStep / (ms / 1000) / 1e12,
    peakBytes: after.peakBytes,
    reservedBytes: after.reservedBytes,
    cudaMallocCalls: Number(after.mallocCalls) - Number(before.mallocCalls),
  });
  return Number(after.peakBytes);
}

/**
 * Where a decode step's GPU time goes: one eager step of the StaticDecoder with the stream synchronised after every
 * kernel, wall time summed per kernel name (each figure includes ~10–20 µs of launch and synchronisation).
 */
async function profileDecodeStep(b: number, prompt: number): Promise<void> {
  const decoder = new StaticDecoder(model, randomPrompts(b, prompt, 19), { maxLength: prompt + 8, capture: false });
  decoder.step();
  await backend.synchronize();
  const engine = ops.ENGINE as unknown as { runKernel: (...args: unknown[]) => unknown };
  const original = engine.runKernel.bind(engine);
  const perKernel = new Map<string, { ms: number; calls: number }>();
  engine.runKernel = (...args: unknown[]) => {
    const start = performance.now();
    const out = original(...args);
    backend.ctx.synchronizeSync();
    const entry = perKernel.get(args[0] as string) ?? { ms: 0, calls: 0 };
    entry.ms += performance.now() - start;
    entry.calls++;
    perKernel.set(args[0] as string, entry);
    return out;
  };
  try {
    decoder.step();
  } finally {
    engine.runKernel = original;
  }
  decoder.dispose();
  const sorted = [...perKernel.entries()].sort((x, y) => y[1].ms - x[1].ms);
  record({
    what: 'decode-profile',
    batch: b,
    kernels: sorted.reduce((n, [, e]) => n + e.calls, 0),
    top: sorted
      .slice(0, 12)
      .map(([name, e]) => `${name} ${e.ms.toFixed(2)} ms/${e.calls}`)
      .join(', '),
  });
}

/**
 * For Nsight Compute (tools/cuda/ncu-decode.sh): one eager decode step at batch `b` after a 512-token prompt,
 * fenced by a CumSum kernel before and after (a decode step launches none), so the kernels between the last two
 * fences are exactly one step's — the same kernels a CUDA graph of the step replays, timed without launch gaps.
 */
async function decodeTrace(b: number): Promise<void> {
  // --state16: the SSM state in the activations' dtype (the "bf16 SSM state" decode rows)
  const ssmStateDtype = args.includes('--state16') ? ('activations' as const) : undefined;
  const decoder = new StaticDecoder(model, randomPrompts(b, 512, 23), {
    maxLength: 520,
    capture: false,
    ...(ssmStateDtype ? { ssmStateDtype } : {}),
  });
  const fence = ops.tensor(new Int32Array([1, 2, 3]), [3], 'i32');
  const mark = (): void => ops.cumsum(fence, 0).dispose();
  decoder.step();
  await backend.synchronize();
  mark();
  decoder.step();
  mark();
  await backend.synchronize();
  fence.dispose();
  decoder.dispose();
  record({ what: 'decode-trace', batch: b, fence: 'CumSum', ssmState: ssmStateDtype ?? 'f32' });
}

/**
 * For Nsight Compute: one eager prefill of [b, 2048] tokens in inference mode (as the prefill rows time it), fenced by
 * CumSum kernels as decodeTrace is (a prefill launches none), after one unfenced warm-up forward.
 */
async function prefillTrace(b: number): Promise<void> {
  const ids = randomIds(b, 2048, 11);
  model.prepareInference();
  const forward = (): void => ops.tidy(() => model.forward(ids, { logitsToKeep: 1 }).logits).dispose();
  forward();
  await backend.synchronize();
  const fence = ops.tensor(new Int32Array([1, 2, 3]), [3], 'i32');
  const mark = (): void => ops.cumsum(fence, 0).dispose();
  mark();
  forward();
  mark();
  await backend.synchronize();
  fence.dispose();
  ids.dispose();
  model.releaseInference();
  record({ what: 'prefill-trace', batch: b, tokens: 2048, fence: 'CumSum' });
}

if (only.has('decode-trace')) await decodeTrace(Number(flag('--batch') ?? 1));
if (only.has('prefill-trace')) await prefillTrace(Number(flag('--batch') ?? 1));
if (only.has('profile')) {
  await profileDecodeStep(1, 512);
  await profileDecodeStep(32, 512);
}
if (only.has('prefill')) {
  await prefill(1, 2048);
  await prefill(8, 2048);
}
if (only.has('decode')) {
  await decode(1, 512, 32);
  await decode(32, 512, 32);
}
if (only.has('decode') || only.has('decode-static')) {
  // A replayed step takes 1–2 ms: at least 128 of them (116 timed after the 12 compared with the eager decoder), so
  // the rows' spread stays at ~1 % whatever --decode-steps asks of the much slower peer (at 32: 20 timed steps,
  // ±2 % between rows of one call — BENCHMARKS.md 15:05 UTC).
  const staticSteps = Math.max(decodeSteps, 128);
  await decodeStatic(1, 512, staticSteps);
  await decodeStatic(32, 512, staticSteps);
}
if (only.has('kernels')) {
  const ids = randomIds(1, 2048, 11);
  // The prefill as timed above: in inference mode (made before, outside the profile).
  model.prepareInference();
  await timeIt(() => ops.tidy(() => model.forward(ids, { logitsToKeep: 1 }).logits).dispose(), 1);
  const profile = await profileGpuKernels(backend, () => {
    ops.tidy(() => model.forward(ids, { logitsToKeep: 1 }).logits).dispose();
  });
  model.releaseInference();
  ids.dispose();
  console.log(kernelTable('# kernels of one prefill 1×2048', profile));
  record({
    what: 'prefill-kernels',
    batch: 1,
    tokens: 2048,
    totalMs: profile.totalMs,
    kernels: JSON.stringify(profile.kernels),
  });
  await train(4, 2048, false, true);
  for (const b of [1, 32]) {
    // One eager decode step (no graph: the marks cannot be captured). Host gaps between kernels fall inside the
    // spans here, so small kernels read high at batch 1; at batch 32 the large ones dominate.
    const decoder = new StaticDecoder(model, randomPrompts(b, 512, 19), { maxLength: 520, capture: false });
    decoder.step();
    const profile = await profileGpuKernels(backend, () => {
      decoder.step();
    });
    decoder.dispose();
    console.log(kernelTable(`# kernels of one eager decode step, batch ${b} after 512 tokens`, profile));
    record({ what: 'decode-kernels', batch: b, totalMs: profile.totalMs, kernels: JSON.stringify(profile.kernels) });
  }
}
if (only.has('train')) {
  const peakAll = await train(4, 2048, true);
  const peakNone = await train(4, 2048, false);
  // Issue #7's memory budget, 40 GB: checkpoint only as many layers (the first ones) as it needs. From the two
  // measured peaks each layer that keeps its activations costs (none − all) / L more; keep as many as fit under 38 GB
  // (a 5 % margin for the estimate) — the row's own measured peak says whether it held.
  const layers = config.num_hidden_layers;
  const perLayer = (peakNone - peakAll) / layers;
  const kept = perLayer > 0 ? Math.max(0, Math.min(layers, Math.floor((38e9 - peakAll) / perLayer))) : layers;
  if (kept > 0 && kept < layers) await train(4, 2048, layers - kept);
}
if (out) writeFileSync(join(out, 'bench-model.json'), `${JSON.stringify({ rows }, null, 2)}\n`);
if (ownLayers) {
  const layers = model.inferenceConstants()?.layers as unknown[];
  layers.splice(0, layers.length, ...ownLayers);
}
model.dispose();
backend.dispose();

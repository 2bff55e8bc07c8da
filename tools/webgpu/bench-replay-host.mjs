#!/usr/bin/env node
import { parseArgs } from 'node:util';
// bench-replay-host.mjs — the HOST cost of replaying a captured decode step on the WebGPU backend (issue #6): a
// replayed 0.5B step is ~500 dispatches, each a setPipeline (where it changes), setBindGroup and
// dispatchWorkgroups through Dawn's validation and the `webgpu` package's N-API crossings, and on an H200 host that
// encoding (~12 µs a dispatch) paces the step. That cost is on the CPU, so it can be measured on any adapter
// (lavapipe included): this script captures the StaticDecoder's step of a 0.5B-shaped model with a few layers and
// a small vocabulary (random weights), then times `graphs.replay` alone — the encoding into the open command
// encoder — over many replays (20 per submit, the submits untimed), and prints µs per replay and per dispatch
// (median, minimum and mean of the timed replays).
//
// Runs bundled, as bench-model.mjs: `node tools/webgpu/bundle-gpu.mjs` writes .gpu/webgpu-model/bench-replay-host.mjs
// with Dawn beside it; then, here (lavapipe) or on a GPU host:
//   node backends/webgpu/scripts/lavapipe.mjs --exec node .gpu/webgpu-model/bench-replay-host.mjs \
//        [--layers 2] [--vocab 1024] [--dtype f32] [--replays 100]
import { createWebGPUBackend } from '@falcon-h1/backend-webgpu/base';
import { useBackend } from '@falcon-h1/core-tensor';
import {
  FalconH1ForCausalLM,
  falconH1Preset,
  parseFalconH1Config,
  randomFalconH1Parameters,
  StaticDecoder,
} from '@falcon-h1/hybrid-block';

const { values: opts } = parseArgs({
  options: {
    layers: { type: 'string', default: '2' },
    vocab: { type: 'string', default: '1024' },
    dtype: { type: 'string', default: 'f32' },
    replays: { type: 'string', default: '100' },
  },
});
const layers = Number(opts.layers);
const vocab = Number(opts.vocab);
const replays = Number(opts.replays);
const WARMUP_REPLAYS = 20;
const PER_SUBMIT = 20;
const PROMPT = 16;

const backend = await createWebGPUBackend();
useBackend(backend);
const base = falconH1Preset('0.5B').config;
const config = parseFalconH1Config(
  { ...base, num_hidden_layers: layers, vocab_size: vocab },
  `0.5B shapes, ${layers} layers, vocabulary ${vocab}`,
);
const model = new FalconH1ForCausalLM(config, randomFalconH1Parameters(config, { seed: 3, dtype: opts.dtype }));

// The graph the StaticDecoder captures: its id, from the backend's graphs.end.
const ids = [];
const end = backend.graphs.end;
backend.graphs.end = () => {
  const id = end();
  ids.push(id);
  return id;
};
const prompt = Array.from({ length: PROMPT }, (_, i) => (i * 37 + 5) % vocab);
const decoder = new StaticDecoder(model, [prompt], { maxLength: PROMPT + 8, capture: true });
for (let i = 0; i < 3; i++) await decoder.step().tokens.data();
if (ids.length !== 1) throw new Error(`expected the StaticDecoder to capture one graph, saw ${ids.length}`);
const graph = ids[0];
const { dispatches, passes, copies } = backend.graphProfile(graph);

// Replays are encoded PER_SUBMIT at a time into one command encoder (the first of them also opens it), then
// submitted and awaited untimed: lavapipe runs the GPU work on the same CPU cores, so none may run while timing.
const encodeUs = [];
const firstUs = [];
for (let r = 0; r < WARMUP_REPLAYS + replays; r += PER_SUBMIT) {
  for (let i = 0; i < PER_SUBMIT; i++) {
    const t0 = performance.now();
    backend.graphs.replay(graph);
    const us = (performance.now() - t0) * 1000;
    if (r >= WARMUP_REPLAYS) (i === 0 ? firstUs : encodeUs).push(us);
  }
  await backend.synchronize();
}
decoder.dispose();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const result = {
  device: backend.device,
  shape: `0.5B L=${layers} V=${vocab}`,
  dtype: opts.dtype,
  dispatches,
  passes,
  copies,
  replays,
  encodeUsPerReplay: { median: median(encodeUs), mean: mean(encodeUs) },
  // The minimum is the least disturbed by other processes on a shared machine.
  encodeUsPerDispatch: {
    min: Math.min(...encodeUs) / dispatches,
    median: median(encodeUs) / dispatches,
    mean: mean(encodeUs) / dispatches,
  },
  // The first replay after a submit also opens the command encoder (as every decode step's replay does).
  firstAfterSubmitUsPerReplay: { median: median(firstUs), mean: mean(firstUs) },
};
console.log(JSON.stringify(result));
console.log(
  `${result.shape} ${result.dtype}: ${dispatches} dispatches/replay; first after a submit ${result.firstAfterSubmitUsPerReplay.median.toFixed(0)} µs; then host encoding ` +
    `${result.encodeUsPerReplay.median.toFixed(0)} µs/replay = ${result.encodeUsPerDispatch.median.toFixed(2)} µs/dispatch (median; min ${result.encodeUsPerDispatch.min.toFixed(2)}, mean ${result.encodeUsPerDispatch.mean.toFixed(2)})`,
);
process.exit(0);

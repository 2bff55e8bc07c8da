/**
 * End-of-run benchmark: what the trainer does besides its steps, phase by phase, at a size that shows how each
 * phase scales — Falcon-H1-0.5B's widths (hidden 1024, vocabulary 32784) with fewer layers (`--layers`, default
 * 4 → 117.6 M parameters), f32 AdamW moments made by one real step. Phases:
 *
 *   init          initialModel: the seeded random parameters, drawn on the host and uploaded (start of a run)
 *   readback      every parameter and both moments downloaded once (`tensor.data()`), the floor of any checkpoint
 *   checkpoint    saveCheckpoint: model.safetensors + optimizer.safetensors + trainer-state.json, fsynced, renamed,
 *                 against the disk floor: as many bytes written from memory and fsynced
 *   reload        loadFalconH1 of that checkpoint (the final sample is generated from the directory as saved)
 *   restore       restoreOptimizer (a resume)
 *   eval          heldOutLoss over `--eval-batches` batches of `--eval-rows` × `--seq-len`
 *   sample        sampleText, `--sample-tokens` new tokens
 *
 * Figures are per phase in seconds and GB/s of checkpoint bytes; `projected 0.5B` scales the size-bound phases
 * linearly to the 0.5B preset's parameter count. Run (from apps/trainer):
 *
 *   node bench/run-bench.mjs end-of-run [--backend wasm] [--layers 4] [--dir /tmp] [--tokenizer assets/tokenizer.json]
 *       [--seq-len 256] [--eval-rows 2] [--eval-batches 2] [--sample-tokens 16] [--json]
 */
// The CPU backends, registered statically: the bundle cannot import them by name at run time.
import '@falcon-h1/backend-reference';
import '@falcon-h1/backend-wasm';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AdamW, useBackend } from '@falcon-h1/core-tensor';
import {
  falconH1ConfigToJson,
  falconH1ParameterShapes,
  falconH1Preset,
  loadFalconH1,
  parseFalconH1Config,
} from '@falcon-h1/hybrid-block';
import { EMPTY_MUP_TABLE } from '@falcon-h1/mup';
import { Tokenizer } from '@falcon-h1/tokenizer';
import { type BackendChoice, startBackend } from '../src/backend/start-backend.js';
import { restoreOptimizer, saveCheckpoint, TRAINER_STATE_FORMAT } from '../src/checkpoint/run-checkpoint.js';
import { initialModel, parameterGroups } from '../src/model/build-model.js';
import { heldOutLoss } from '../src/training/evaluate.js';
import type { Rows } from '../src/training/packed-rows.js';
import { sampleText } from '../src/training/sample-text.js';
import { trainStep } from '../src/training/train-step.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    layers: { type: 'string', default: '4' },
    dir: { type: 'string', default: '/tmp' },
    tokenizer: { type: 'string', default: 'assets/tokenizer.json' },
    'seq-len': { type: 'string', default: '256' },
    'eval-rows': { type: 'string', default: '2' },
    'eval-batches': { type: 'string', default: '2' },
    'sample-tokens': { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
  },
});
const layers = Number(values.layers);
const seqLen = Number(values['seq-len']);

const seconds = (start: number): number => (performance.now() - start) / 1000;
const figures: Record<string, number> = {};
const report = (name: string, value: number, unit = 's'): void => {
  figures[name] = value;
  if (!values.json) console.log(`${name.padEnd(28)} ${value.toFixed(unit === 's' ? 2 : 3)} ${unit}`);
};

const started = await startBackend(values.backend as BackendChoice);
useBackend(started.backend);
const preset = falconH1ConfigToJson(falconH1Preset('0.5B').config);
const config = parseFalconH1Config(
  { ...preset, num_hidden_layers: layers, bos_token_id: 1, eos_token_id: 2 },
  'bench: 0.5B with fewer layers',
);
let t = performance.now();
const model = initialModel(config, undefined, 0, started.backend);
const initSeconds = seconds(t);
const optimizer = new AdamW(parameterGroups(model, EMPTY_MUP_TABLE, undefined), { lr: 1e-4, weightDecay: 0.1 });
const count = [...model.parameters.values()].reduce((n, p) => n + p.size, 0);
const fullCount = falconH1ParameterShapes(falconH1Preset('0.5B').config).reduce(
  (n, { shape }) => n + shape.reduce((a, b) => a * b, 1),
  0,
);
const ratio = fullCount / count;
console.log(`${started.name}: 0.5B widths, ${layers} layers, ${(count / 1e6).toFixed(1)} M parameters`);

// One real step at a tiny batch, so the moments exist and hold numbers.
const rows = (n: number, offset: number): Rows => {
  const inputIds = new Int32Array(n * seqLen).map((_, i) => 3 + ((i * 7919 + offset) % 30000));
  return {
    rows: n,
    seqLen,
    inputIds,
    seqIdx: new Int32Array(n * seqLen),
    positions: inputIds.map((_, i) => i % seqLen),
  };
};
report('init model (start of run)', initSeconds);
t = performance.now();
await trainStep(model, optimizer, rows(1, 0), 1, 1e-4, 1);
report('one training step', seconds(t));

t = performance.now();
let bytes = 0;
for (const p of model.parameters.values()) bytes += (await p.data()).byteLength;
for (const { m, v } of optimizer.state().moments) bytes += (await m.data()).byteLength + (await v.data()).byteLength;
report('readback (params + m + v)', seconds(t));

const runDir = mkdtempSync(join(values.dir, 'falcon-end-of-run-'));
try {
  const tokenizer = Tokenizer.fromJSON(await readFile(values.tokenizer, 'utf8'));
  t = performance.now();
  const saved = await saveCheckpoint(runDir, model, optimizer, {
    format: TRAINER_STATE_FORMAT,
    step: 1,
    tokens: seqLen,
    random: [1, 2, 3, 4],
    data: { position: 0 },
    configText: '{}',
  });
  const checkpointSeconds = seconds(t);
  const { dir } = saved;
  const fileBytes = ['model.safetensors', 'optimizer.safetensors'].reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  report('checkpoint', checkpointSeconds);
  report('checkpoint GB', fileBytes / 1e9, 'GB');
  report('checkpoint GB/s', fileBytes / 1e9 / checkpointSeconds, 'GB/s');
  report('readback GB', bytes / 1e9, 'GB');
  report('  model file', saved.modelSeconds);
  report('  optimizer file', saved.optimizerSeconds);
  report('    readback not hidden', saved.readbackSeconds);
  report('  fsync + rename', saved.commitSeconds);

  // The floor: the same bytes from memory to this disk, fsynced.
  const block = new Uint8Array(64 << 20).fill(1);
  t = performance.now();
  const handle = await open(join(runDir, 'floor'), 'w');
  for (let done = 0; done < fileBytes; done += block.length) await handle.write(block, 0, block.length, done);
  await handle.sync();
  await handle.close();
  report('disk floor (write + fsync)', seconds(t));
  rmSync(join(runDir, 'floor'));

  t = performance.now();
  const reloaded = await loadFalconH1(dir, { backend: started.backend, dtype: 'f32' });
  report('reload (loadFalconH1)', seconds(t));

  t = performance.now();
  await restoreOptimizer(dir, optimizer);
  report('restore optimizer', seconds(t));

  const evalBatches = Array.from({ length: Number(values['eval-batches']) }, (_, i) =>
    rows(Number(values['eval-rows']), i + 1),
  );
  t = performance.now();
  await heldOutLoss(model, evalBatches);
  report('eval', seconds(t));

  t = performance.now();
  await sampleText(
    reloaded,
    tokenizer,
    { prompt: 'The license', maxTokens: Number(values['sample-tokens']), temperature: 0.8 },
    1,
  );
  report('sample', seconds(t));
  reloaded.dispose();

  for (const name of [
    'init model (start of run)',
    'readback (params + m + v)',
    'checkpoint',
    'disk floor (write + fsync)',
    'reload (loadFalconH1)',
    'restore optimizer',
  ]) {
    report(`projected 0.5B: ${name}`, figures[name]! * ratio);
  }
} finally {
  rmSync(runDir, { recursive: true, force: true });
  optimizer.dispose();
  model.dispose();
}
if (values.json) console.log(JSON.stringify({ backend: started.name, layers, parameters: count, figures }));

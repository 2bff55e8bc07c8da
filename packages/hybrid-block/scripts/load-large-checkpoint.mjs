/**
 * Manual check (not in CI: it writes and reads gigabytes): loadFalconH1 loads an f32 checkpoint whose single
 * model.safetensors is larger than the 2 GiB Node 20's readFile accepts, and the host memory it needs is the
 * parameters plus a tensor or two, not the file on top of them.
 *
 * The checkpoint is synthetic: the 0.5B preset's shapes with more layers (default 40 → 0.59 B parameters, 2.36 GB),
 * each tensor filled with a cheap hash of (tensor, index) that the check recomputes after loading. The whole-file
 * reader (loadSafetensorsFromDir) is tried first and must fail with ERR_FS_FILE_TOO_LARGE.
 *
 * Run from packages/hybrid-block after building (NX_DAEMON=false npx nx run-many -t build -p @falcon-h1/hybrid-block
 * @falcon-h1/backend-reference):
 *
 *   node scripts/load-large-checkpoint.mjs [--layers 40] [--dir /tmp]
 */
import '@falcon-h1/backend-reference';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSafetensorsFromDir, writeSafetensorsFile } from '@falcon-h1/core-tensor';
import {
  falconH1ConfigJsonText,
  falconH1ParameterCount,
  falconH1ParameterShapes,
  falconH1Preset,
  loadFalconH1,
} from '@falcon-h1/hybrid-block';

const { values: args } = parseArgs({ options: { layers: { type: 'string', default: '40' }, dir: { type: 'string' } } });
const config = { ...falconH1Preset('0.5B').config, num_hidden_layers: Number(args.layers) };
const shapes = falconH1ParameterShapes(config);
const GB = 1e9;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Tensor `t`'s value `i`: a hash in [−0.5, 0.5), exact in f32 (24 bits). */
const valueAt = (t, i) => (Math.imul(i ^ (t * 0x9e3779b9), 0x85ebca6b) >>> 8) / 2 ** 24 - 0.5;
function fill(t, size) {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = valueAt(t, i);
  return values;
}

const dir = mkdtempSync(join(args.dir ?? '/tmp', 'falcon-h1-large-checkpoint-'));
try {
  const file = join(dir, 'model.safetensors');
  let start = performance.now();
  const record = {};
  shapes.forEach(({ name, shape }, t) => {
    record[name] = {
      dtype: 'f32',
      shape,
      data: () =>
        fill(
          t,
          shape.reduce((a, b) => a * b, 1),
        ),
    };
  });
  const written = await writeSafetensorsFile(file, record, { format: 'pt' });
  await writeFile(join(dir, 'config.json'), falconH1ConfigJsonText(config, 'f32'));
  const bytes = statSync(file).size;
  console.log(
    `wrote ${(falconH1ParameterCount(config) / 1e9).toFixed(3)} B parameters, model.safetensors ${(bytes / GB).toFixed(2)} GB ` +
      `(${(bytes / 2 ** 30).toFixed(2)} GiB) in ${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
  if (bytes <= 2 ** 31) throw new Error('the file is not above 2 GiB: use more --layers');
  if (written.bytes !== bytes) throw new Error(`writer reported ${written.bytes} bytes, file has ${bytes}`);

  try {
    await loadSafetensorsFromDir(dir);
    throw new Error('the whole-file reader loaded a file above 2 GiB');
  } catch (error) {
    if (error.code !== 'ERR_FS_FILE_TOO_LARGE') throw error;
    console.log(`whole-file reader: ${error.code} (as expected)`);
  }

  // The backend's own copy of the parameters (the reference backend holds floats as f64: twice the f32 file) stays;
  // what the loader adds on top of it at its peak (read buffers, garbage not yet collected) is the figure that matters.
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  start = performance.now();
  const model = await loadFalconH1(dir);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  const { rss } = process.memoryUsage();
  peak = Math.max(peak, rss);
  const held = falconH1ParameterCount(config) * 8; // the reference backend's f64 copy
  const largest = Math.max(...shapes.map(({ shape }) => shape.reduce((a, b) => a * b, 1) * 4));
  console.log(
    `loadFalconH1: ${seconds.toFixed(1)} s (${(bytes / GB / seconds).toFixed(2)} GB/s); RSS before ${mib(rssBefore)}, ` +
      `peak ${mib(peak)}, after ${mib(rss)}; the backend holds ${mib(held)} (f64); peak − before − that: ` +
      `${mib(peak - rssBefore - held)} (file ${mib(bytes)}, largest tensor ${mib(largest)})`,
  );

  let checked = 0;
  for (const [t, { name }] of shapes.entries()) {
    const got = await model.parameters.get(name).data();
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== valueAt(t, i)) throw new Error(`'${name}'[${i}] is ${got[i]}, written ${valueAt(t, i)}`);
    }
    checked += got.length;
  }
  console.log(`every value as written (${checked} values)`);
  model.dispose();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

#!/usr/bin/env node
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// GEMM throughput of the webgpu backend's MatMul (f32 and, with shader-f16, f16) for square sizes and each tile
// configuration: enqueue `reps` products, synchronize, GFLOP/s = 2·n³·reps / seconds. Prints JSON lines.
//   node scripts/bench-gemm.mjs [sizes=1024,2048,4096] [reps=10]
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const pkg = dirname(require.resolve('@falcon-h1/backend-webgpu/package.json'));
const { createWebGPUBackend } = await import(pathToFileURL(join(pkg, 'dist', 'base.js')).href);
const { matMul } = await import(pathToFileURL(join(pkg, 'dist', 'kernels', 'MatMul.js')).href);

const sizes = (process.argv[2] ?? '1024,2048,4096').split(',').map(Number);
const reps = Number(process.argv[3] ?? 10);
const b = await createWebGPUBackend();
console.log(JSON.stringify({ device: b.device, f16: b.hasF16 }));
const tiles = [
  { tm: 4, tn: 4, bk: 16 },
  { tm: 8, tn: 8, bk: 8 },
  { tm: 8, tn: 8, bk: 16 },
];
for (const dtype of b.hasF16 ? ['f32', 'f16'] : ['f32']) {
  for (const n of sizes) {
    const values = dtype === 'f32' ? new Float32Array(n * n) : new Uint16Array(n * n);
    for (let i = 0; i < values.length; i++) values[i] = dtype === 'f32' ? Math.random() - 0.5 : 0x3800 | (i & 0xff);
    const a = { dataId: b.write(values, [n, n], dtype), shape: [n, n], dtype };
    const c = { dataId: b.write(values, [n, n], dtype), shape: [n, n], dtype };
    for (const tile of tiles) {
      const once = () => {
        const out = matMul(b, { a, b: c }, { transposeA: false, transposeB: false }, tile);
        b.disposeData(out.dataId);
      };
      once();
      await b.synchronize();
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) once();
      await b.synchronize();
      const s = (performance.now() - t0) / 1000;
      console.log(
        JSON.stringify({
          dtype,
          n,
          tile: `${tile.tm}x${tile.tn}x${tile.bk}`,
          reps,
          ms: (s * 1000) / reps,
          gflops: (2 * n ** 3 * reps) / s / 1e9,
        }),
      );
    }
    b.disposeData(a.dataId);
    b.disposeData(c.dataId);
  }
}
b.dispose();

// gpu-tests.mjs — @falcon-h1/backend-cuda's vitest files whose blocks need a GPU (describe.runIf(probe.available)),
// run on the GPU host, where vitest cannot travel: bundled by tools/cuda/bundle-gpu.mjs into .gpu/cuda/gpu-tests.mjs
// with `vitest` resolved to ./vitest-api.mjs (vitest's own matchers, a sequential runner).
//   usage (GPU host): FALCON_H1_CUDA_ADDON=<addon> node gpu-tests.mjs      exit code 1 when any test fails
// The package's other test files need no GPU and run in CI.
import { runRegistered } from './vitest-api.mjs';

const files = {
  'index.test.ts': () => import('../../../backends/cuda/test/index.test.ts'),
  'add-rms-norm.test.ts': () => import('../../../backends/cuda/test/add-rms-norm.test.ts'),
  'swi-glu-packed.test.ts': () => import('../../../backends/cuda/test/swi-glu-packed.test.ts'),
  'pdl.test.ts': () => import('../../../backends/cuda/test/pdl.test.ts'),
  'decode-fusions.test.ts': () => import('../../../backends/cuda/test/decode-fusions.test.ts'),
  'parallel-mixers.test.ts': () => import('../../../backends/cuda/test/parallel-mixers.test.ts'),
};

const total = { passed: 0, failed: 0, skipped: 0 };
for (const [name, load] of Object.entries(files)) {
  await load();
  const counts = await runRegistered(name);
  for (const key of Object.keys(total)) total[key] += counts[key];
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (backends/cuda/test on the GPU)`);
process.exit(total.failed > 0 ? 1 : 0);

/**
 * Memory on every backend that starts here: a whole Falcon-H1 forward + backward (the loss of tiny-b with respect to
 * every parameter) leaves exactly the tensors it returns, and freeing those and the model leaves zero live tensors and
 * backend buffers — the dispose/scope machinery works the same on the CPU, WASM heap and GPU memory.
 */
import { dispose, memory, tensor, useBackend, valueAndGrads } from '@falcon-h1/core-tensor';
import { loadFalconH1 } from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import { repositoryFixtureDirs } from '../src/goldens/fixture-dirs.js';
import { backendsHere } from './backends-here.js';

const dir = repositoryFixtureDirs().find((d) => d.endsWith('tiny-b'))!;

for (const { name, backend: started } of await backendsHere('model memory')) {
  describe(`model memory on ${name}`, () => {
    it('tiny-b forward + backward leaves no live tensor or buffer', { timeout: 120_000 }, async () => {
      useBackend(started);
      const before = memory();
      const beforeBuffers = started.memory().buffers;
      const model = await loadFalconH1(dir, { backend: started });
      const params = [...model.parameters.values()];
      const ids = tensor([1, 5, 9, 2, 7, 3, 11, 4], [2, 4], 'i32', started);
      const { value, grads } = valueAndGrads(() => model.loss(ids), params);
      expect(Number.isFinite((await value.data())[0] as number)).toBe(true);
      // Exactly the returned tensors are alive beyond the model's parameters and the input.
      expect(memory().numTensors - before.numTensors).toBe(params.length + 1 + 1 + grads.length);
      dispose([value, ids, ...grads]);
      model.dispose();
      await started.synchronize?.();
      expect(memory().numTensors).toBe(before.numTensors);
      expect(memory().numBuffers).toBe(before.numBuffers);
      expect(started.memory().buffers).toBe(beforeBuffers);
    });
  });
}

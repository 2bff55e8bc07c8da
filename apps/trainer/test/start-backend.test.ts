import { describe, expect, it } from 'vitest';
import { AUTO_ORDER, startBackend } from '../src/index.js';

describe('picking the backend', () => {
  it('auto takes the first of cuda → wasm → reference that starts, saying why it passed over the others', async () => {
    expect(AUTO_ORDER).toEqual(['cuda', 'wasm', 'reference']);
    const started = await startBackend('auto');
    if (started.name === 'cuda') {
      expect(started.skipped).toEqual([]); // a GPU host
    } else {
      // No NVIDIA GPU: CUDA does not start (its reason is given), and wasm is the best.
      expect(started.name).toBe('wasm');
      expect(started.backend.name).toBe('wasm');
      expect(started.skipped).toHaveLength(1);
      expect(started.skipped[0]).toMatch(/^cuda: .+/);
    }
  });

  it('a named backend is started as asked', async () => {
    const started = await startBackend('reference');
    expect(started).toMatchObject({ name: 'reference', skipped: [] });
    expect(started.backend.name).toBe('reference');
  });
});

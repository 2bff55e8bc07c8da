import { describe, expect, it } from 'vitest';
import * as m from '../src/index.js';

describe('@falcon-h1/backend-wasm (smoke)', () => {
  it('imports and names itself', () => {
    expect(m.PACKAGE_NAME).toBe('@falcon-h1/backend-wasm');
  });

  it('reports itself unavailable, with a reason naming its issue', async () => {
    const probe = await m.isAvailable();
    expect(probe.available).toBe(false);
    expect(probe.reason).toContain('not implemented yet (issue #5)');
  });

  it('is a core-tensor BackendModule whose factory refuses to start, saying why', async () => {
    expect(m.backendName).toBe('wasm');
    await expect(m.createBackend()).rejects.toThrow('not implemented yet');
  });
});

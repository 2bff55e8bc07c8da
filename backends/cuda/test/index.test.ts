/**
 * The package on any machine: it imports, names itself and, where no GPU / no addon / no driver is usable, reports
 * itself unavailable with a clear reason instead of throwing anything else. On a GPU host the same tests check that
 * it starts and describes its device.
 */
import { describe, expect, it } from 'vitest';
import * as base from '../src/base.js';
import { ADDON_ABI_VERSION, type CudaAddon, type CudaProbe } from '../src/binding.js';
import * as m from '../src/index.js';

const probe = await m.isAvailable();

describe('@falcon-h1/backend-cuda', () => {
  it('imports and names itself', () => {
    expect(m.PACKAGE_NAME).toBe('@falcon-h1/backend-cuda');
    expect(m.backendName).toBe('cuda');
    expect(typeof m.createBackend).toBe('function');
    expect(base.backendName).toBe('cuda');
  });

  it('isAvailable() answers without throwing, with a reason when unavailable', () => {
    if (probe.available) {
      expect(probe.devices).toBeGreaterThan(0);
    } else {
      expect(probe.reason).toMatch(/^unavailable: /);
      // One of the expected causes: no addon built / not loadable, driver too old or missing, or no device.
      expect(probe.reason).toMatch(/addon|CUDA error|no CUDA device|no usable/);
    }
  });

  it.runIf(!probe.available)('createBackend() refuses to start, with the same reason', async () => {
    await expect(Promise.resolve().then(() => m.createBackend())).rejects.toThrow(/^unavailable: /);
  });

  it.runIf(probe.available)('starts on the GPU and describes its device', async () => {
    const backend = m.createCudaBackend();
    try {
      expect(backend.name).toBe('cuda');
      expect(backend.device).toMatch(/sm_\d+/);
      const id = backend.write(new Float32Array([1, 2, 3]), [3], 'f32');
      const info = { dataId: id, shape: [3], dtype: 'f32' as const };
      expect(Array.from((await backend.read(info)) as Float32Array)).toEqual([1, 2, 3]);
      expect(Array.from(backend.readSync(info) as Float32Array)).toEqual([1, 2, 3]);
      backend.disposeData(id);
      expect(backend.memory().buffers).toBe(0);
    } finally {
      backend.dispose();
    }
  });
});

function fakeAddon(answer: Partial<CudaProbe>, context?: () => never): CudaAddon {
  return {
    abiVersion: ADDON_ABI_VERSION,
    probe: () => ({ ok: false, devices: 0, runtimeVersion: 13000, driverVersion: 0, matmul: 'fake', ...answer }),
    Context: function Context() {
      if (context) context();
      throw new Error('fake addon: no Context');
    } as unknown as CudaAddon['Context'],
  };
}

describe('createCudaBackend() with an addon that cannot start', () => {
  it('passes the driver error through as the reason (CUDA error 35)', () => {
    const reason = 'cudaGetDeviceCount: CUDA driver version is insufficient for CUDA runtime version (CUDA error 35)';
    expect(() => base.createCudaBackend({ addon: fakeAddon({ reason }) })).toThrow(`unavailable: ${reason}`);
  });

  it('says so when no device is visible', () => {
    expect(() => base.createCudaBackend({ addon: fakeAddon({ devices: 0 }) })).toThrow(/^unavailable: /);
  });

  it('wraps a failing context creation', () => {
    const addon = fakeAddon({ ok: true, devices: 1 }, () => {
      throw new Error('cudaSetDevice: invalid device ordinal (CUDA error 101)');
    });
    expect(() => base.createCudaBackend({ addon })).toThrow('unavailable: cudaSetDevice: invalid device ordinal');
  });
});

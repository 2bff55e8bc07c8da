/** The Backend object itself: identity, storage forms across write/read, memory accounting, the kernel table. */
import { FUSED_KERNELS, PRIMITIVE_KERNELS } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend, ReferenceBackend } from '../src/index.js';
import { tensor, values } from './helpers.js';

describe('ReferenceBackend', () => {
  it('describes itself', () => {
    const backend = createReferenceBackend();
    expect(backend).toBeInstanceOf(ReferenceBackend);
    expect(backend.apiVersion).toBe(1);
    expect(backend.name).toBe('reference');
    expect(backend.device).toBe(`reference (TypeScript float64, Node ${process.versions.node})`);
    expect(backend.capabilities).toEqual({
      dtypes: ['f64', 'f32', 'f16', 'bf16', 'i32', 'u8', 'i64'],
      syncReadback: true,
    });
  });

  it('implements every primitive and every fused kernel', () => {
    const backend = createReferenceBackend();
    for (const name of [...PRIMITIVE_KERNELS, ...FUSED_KERNELS]) {
      expect(typeof backend.kernels[name], name).toBe('function');
    }
    expect(Object.keys(backend.kernels).sort()).toEqual([...PRIMITIVE_KERNELS, ...FUSED_KERNELS].sort());
  });

  it('round-trips every dtype through write and read in storage form, as fresh copies', async () => {
    const backend = createReferenceBackend();
    const cases = [
      new Float64Array([1.5, -0.1, 1e300]),
      new Float32Array([1.5, -0.1, 3e38]),
      new Uint16Array([0x3c00, 0x8001, 0x7c00]), // f16: 1, −2^−24 (subnormal), +Inf
      new Uint16Array([0x3f80, 0xc2f7, 0xff80]), // bf16: 1, −123.5, −Inf
      new Int32Array([-2147483648, 0, 2147483647]),
      new Uint8Array([0, 128, 255]),
      new BigInt64Array([-(2n ** 63n), 0n, 2n ** 63n - 1n]),
    ];
    const dtypes = ['f64', 'f32', 'f16', 'bf16', 'i32', 'u8', 'i64'] as const;
    for (const [k, dtype] of dtypes.entries()) {
      const written = cases[k];
      const info = { dataId: backend.write(written, [3], dtype), shape: [3], dtype };
      written[0] = written instanceof BigInt64Array ? 7n : (7 as never); // write copied: no aliasing
      const first = backend.readSync(info);
      expect(first.constructor).toBe(written.constructor);
      expect(Array.from(first as ArrayLike<unknown>).slice(1)).toEqual(
        Array.from(written as ArrayLike<unknown>).slice(1),
      );
      expect(first[0]).not.toBe(written[0]);
      first[1] = first instanceof BigInt64Array ? 9n : (9 as never); // read returned a copy
      const second = await backend.read(info);
      expect(second[1]).not.toBe(first[1]);
    }
  });

  it('decodes 16-bit floats exactly', () => {
    const backend = createReferenceBackend();
    // 0.1 = 1.6·2^−4: f16 keeps round(1.6·1024) = 1638 → 1638/1024·2^−4; bf16 keeps round(1.6·128) = 205.
    expect(values(backend, tensor(backend, [1, 0.1, 65504], [3], 'f16'))).toEqual([1, 1638 / 1024 / 16, 65504]);
    // 3e38 = 1.7632·2^127 → bf16 mantissa round(1.7632·128) = 226.
    expect(values(backend, tensor(backend, [1, 0.1, 3e38], [3], 'bf16'))).toEqual([
      1,
      205 / 128 / 16,
      (226 / 128) * 2 ** 127,
    ]);
  });

  it('rejects a storage array of the wrong class or length', () => {
    const backend = createReferenceBackend();
    expect(() => backend.write(new Float64Array(2), [2], 'f32')).toThrow(/f32 tensor takes a Float32Array/);
    expect(() => backend.write(new Float32Array(3), [2, 2], 'f32')).toThrow(/4 elements but 3 values/);
    expect(() => backend.write(new Uint16Array(1), [1], 'i32')).toThrow(
      /i32 tensor takes a Int32Array, got a Uint16Array/,
    );
    // A subclass of the storage class (Node's Buffer is a Uint8Array) is accepted.
    const bytes = { dataId: backend.write(Buffer.from([1, 2]), [2], 'u8'), shape: [2], dtype: 'u8' } as const;
    expect(Array.from(backend.readSync(bytes) as Uint8Array)).toEqual([1, 2]);
  });

  it('counts buffers and bytes, back to zero after disposal', () => {
    const backend = createReferenceBackend();
    expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
    const a = tensor(backend, [1, 2, 3], [3], 'f32');
    const b = tensor(backend, [1, 2], [2], 'bf16');
    const c = tensor(backend, [1, 2, 3, 4], [2, 2], 'i64');
    const d = tensor(backend, [1], [], 'u8');
    expect(backend.memory()).toEqual({ buffers: 4, bytes: 12 + 4 + 32 + 1 });
    const sum = backend.kernels.Add({ a, b: a }, {});
    expect(backend.memory()).toEqual({ buffers: 5, bytes: 61 });
    for (const info of [a, b, c, d, sum]) backend.disposeData(info.dataId);
    expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('throws on a double free and on a foreign DataId', () => {
    const backend = createReferenceBackend();
    const a = tensor(backend, [1], [1]);
    backend.disposeData(a.dataId);
    expect(() => backend.disposeData(a.dataId)).toThrow(/already disposed \(double free\)/);
    expect(() => backend.disposeData({ id: 1 })).toThrow(/unknown DataId/);
    expect(() => backend.readSync(a)).toThrow(/not alive/);
    const other = createReferenceBackend();
    const foreign = tensor(other, [1], [1]);
    expect(() => backend.disposeData(foreign.dataId)).toThrow(/unknown DataId/);
  });

  it('rejects a TensorInfo whose dtype or shape does not match its buffer', () => {
    const backend = createReferenceBackend();
    const a = tensor(backend, [1, 2], [2], 'f32');
    expect(() => backend.readSync({ ...a, dtype: 'f64' })).toThrow(/holds f32/);
    expect(() => backend.readSync({ ...a, shape: [3] })).toThrow(/does not match/);
  });

  it('read rejects (does not throw synchronously) for a dead buffer', async () => {
    const backend = createReferenceBackend();
    const a = tensor(backend, [1], [1]);
    backend.disposeData(a.dataId);
    await expect(backend.read(a)).rejects.toThrow(/not alive/);
  });

  it('dispose() frees every buffer', () => {
    const backend = createReferenceBackend();
    tensor(backend, [1, 2], [2]);
    backend.dispose();
    expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});

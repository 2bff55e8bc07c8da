/**
 * Graph capture on WebGPU (`backend.graphs`, src/graph-capture.ts) on whatever adapter this machine has (lavapipe
 * in CI): a capture records without computing, replays compute on the captured buffers (state carried in place with
 * `overwrite`), uploads/readbacks are refused while capturing, buffers freed during capture stay the graph's until
 * release, and a replay creates no pipeline or bind group. Expected values are float64 host computations (the
 * in-place SSM decode step's: the same step run eagerly, which the conformance suite certifies).
 * StaticDecoder's replayed decode against generate() is certified by the conformance goldens.
 */
import {
  add,
  type Backend,
  cacheWrite,
  captureGraph,
  linear,
  overwrite,
  scale,
  ssmDecodeStepInPlace,
  sum,
  type Tensor,
  type TensorInfo,
  tanh,
  tensor,
  useBackend,
  variable,
} from '@falcon-h1/core-tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebGPUBackend, isAvailable, type WebGPUBackend } from '../src/base.js';
import { relL2, values } from './float-checks.js';

const probe = await isAvailable();

/** A tensor's values read back (f32 tensors only in this file). */
async function floats(t: Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

describe.runIf(probe.available)('WebGPU graph capture', async () => {
  const b = (probe.available ? await createWebGPUBackend() : undefined) as WebGPUBackend;
  useBackend(b as Backend);
  afterAll(() => b?.dispose());

  it('records without computing, then each replay runs the step on the same buffers', async () => {
    // The step: h = tanh(W·s + x); s ← s + 0.5·h (in place), returns h and Σ(h + 2) (positive terms: a
    // well-conditioned sum).
    const n = 24;
    const w0 = values(n * n, 3);
    const x0 = values(n, 5);
    const s0 = values(n, 7);
    const w = tensor(w0, [n, n]);
    const x = tensor(x0, [1, n]);
    const s = variable(tensor(s0, [1, n]), { name: 'state', trainable: false });
    const graph = captureGraph(() => {
      const h = tanh(add(linear(s, w), x));
      overwrite(s, add(s, scale(h, 0.5)));
      return { h, total: sum(scale(h, 1, 2)) };
    }, b);
    // Nothing ran: the state is as it was.
    expect(relL2(await floats(s), s0)).toBe(0);

    const state = Float64Array.from(s0);
    for (let step = 0; step < 3; step++) {
      graph.replay();
      const h = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let acc = x0[i]!;
        for (let k = 0; k < n; k++) acc += w0[i * n + k]! * state[k]!;
        h[i] = Math.tanh(acc);
      }
      for (let i = 0; i < n; i++) state[i]! += 0.5 * h[i]!;
      expect(relL2(await floats(graph.outputs.h), h)).toBeLessThanOrEqual(1e-5);
      expect(relL2(await floats(graph.outputs.total), [h.reduce((a, v) => a + v + 2, 0)])).toBeLessThanOrEqual(1e-5);
      expect(relL2(await floats(s), state)).toBeLessThanOrEqual(1e-5);
    }
    graph.dispose();
    for (const t of [w, x, s]) t.dispose();
    expect(b.liveGraphs).toBe(0);
  });

  it('replays an in-place cache write at the slot the device holds (advanced in place by each replay)', async () => {
    // The static KV cache's pattern: cache[0, slot] = step's values, then slot ← slot + 1, all on the device.
    const [len, width] = [5, 3];
    const cache = variable(tensor(new Float32Array(len * width), [1, len, width]), { name: 'cache', trainable: false });
    const slot = variable(tensor(Int32Array.from([1]), [1], 'i32'), { name: 'slot', trainable: false });
    const one = tensor(Int32Array.from([1]), [1], 'i32');
    const x = tensor(values(width, 17), [1, 1, width]);
    const graph = captureGraph(() => {
      const row = scale(x, 2);
      cacheWrite(cache, row, slot);
      overwrite(slot, add(slot, one));
      return row;
    }, b);
    const want = new Float64Array(len * width);
    const x0 = await floats(x);
    for (let step = 0; step < len; step++) {
      graph.replay();
      // Slots 1 … len−1 are written; the last replay's slot (len) is outside the cache and writes nothing.
      const s = 1 + step;
      if (s < len) for (let j = 0; j < width; j++) want[s * width + j] = 2 * x0[j]!;
      expect(relL2(await floats(cache), want)).toBeLessThanOrEqual(1e-7);
    }
    expect(Array.from((await slot.data()) as Int32Array)).toEqual([1 + len]);
    graph.dispose();
    for (const t of [cache, slot, one, x]) t.dispose();
  });

  it('replays with no pipeline, bind group or uniform work, in one submit with the readback', async () => {
    const x = tensor(values(64, 11), [8, 8]);
    let graph: ReturnType<typeof captureGraph<Tensor>> | undefined;
    const programs = b.countDispatches(() => {
      graph = captureGraph(() => scale(tanh(add(x, x)), 2), b);
    });
    expect(Object.values(programs).reduce((a, c) => a + c, 0)).toBe(3);
    expect(programs['unary:Scale']).toBe(1);
    if (!graph) throw new Error('no graph');
    graph.replay();
    await floats(graph.outputs);
    const before = b.stats();
    for (let i = 0; i < 4; i++) {
      graph.replay();
      await floats(graph.outputs);
    }
    const after = b.stats();
    expect(after.pipelinesCreated - before.pipelinesCreated).toBe(0);
    expect(after.bindGroupsCreated - before.bindGroupsCreated).toBe(0);
    expect(after.buffersCreated - before.buffersCreated).toBe(0);
    expect(after.graphReplays - before.graphReplays).toBe(4);
    expect(after.dispatches - before.dispatches).toBe(4 * 3);
    expect(after.submits - before.submits).toBe(4);
    graph.dispose();
    x.dispose();
  });

  it('replays a dispatch split beyond maxComputeWorkgroupsPerDimension', async () => {
    const max = b.limits.maxComputeWorkgroupsPerDimension;
    const rows = max + 1000;
    const data = new Float32Array(rows * 4);
    for (let r = 0; r < rows; r++) data[r * 4 + (r % 4)] = r % 1000;
    const x: TensorInfo = { dataId: b.write(data, [rows, 4], 'f32'), shape: [rows, 4], dtype: 'f32' };
    b.graphs.begin();
    const total = b.kernels.Sum({ x }, { axes: [1], keepDims: false });
    const id = b.graphs.end();
    expect(b.graphProfile(id).dispatches).toBe(1);
    b.graphs.replay(id);
    const got = (await b.read(total)) as Float32Array;
    let bad = 0;
    for (let r = 0; r < rows; r++) if (got[r] !== r % 1000) bad++;
    expect(bad).toBe(0);
    b.graphs.release(id);
    b.disposeData(total.dataId);
    b.disposeData(x.dataId);
  });

  it('refuses uploads, readbacks and synchronisation while capturing, naming them; the capture is abandoned', async () => {
    const x = tensor([1, 2, 3], [3]);
    const live = b.liveGraphs;
    expect(() => captureGraph(() => add(x, tensor([1, 1, 1], [3])), b)).toThrow(
      /cannot upload a tensor \(write\) while capturing a graph/,
    );
    expect(b.liveGraphs).toBe(live);
    b.graphs.begin();
    await expect(x.data()).rejects.toThrow(/cannot read a tensor back while capturing/);
    await expect(b.synchronize()).rejects.toThrow(/cannot synchronize while capturing/);
    expect(() => b.graphs.begin()).toThrow(/already in progress/);
    b.graphs.release(b.graphs.end());
    // Usable again.
    expect(Array.from(await floats(add(x, x)))).toEqual([2, 4, 6]);
    x.dispose();
  });

  it('holds the buffers freed during capture until release, then pools them again', async () => {
    const x = tensor(values(256, 13), [256]);
    const expected = Array.from(await floats(x), (v) => Math.tanh(v + v) * 3);
    b.graphs.begin();
    // The intermediates are freed inside the capture; the graph's replays still write them.
    const inner = b.kernels.Add({ a: x, b: x } as never, {} as never);
    const mid = b.kernels.Tanh({ x: inner }, {});
    b.disposeData(inner.dataId);
    const out = b.kernels.Scale({ x: mid }, { scale: 3, shift: 0 });
    b.disposeData(mid.dataId);
    const id = b.graphs.end();
    expect(b.graphProfile(id).heldBuffers).toBe(2);
    const held = new Set([
      (inner.dataId as { buffer: GPUBuffer }).buffer,
      (mid.dataId as { buffer: GPUBuffer }).buffer,
    ]);
    // Fresh tensors of the same size never get a held buffer while the graph lives.
    const fresh = [0, 1, 2, 3].map(() => b.write(new Float32Array(256), [256], 'f32'));
    for (const f of fresh) expect(held.has((f as { buffer: GPUBuffer }).buffer)).toBe(false);
    b.graphs.replay(id);
    const got = await b.read(out);
    expect(relL2(got as Float32Array, expected)).toBeLessThanOrEqual(1e-5);
    for (const f of fresh) b.disposeData(f);
    b.graphs.release(id);
    expect(() => b.graphs.release(id)).toThrow(/no graph #\d+/);
    expect(() => b.graphs.replay(id)).toThrow(/no graph #\d+/);
    // Released: the pool hands the held buffers out again.
    const again = [0, 1, 2, 3, 4, 5, 6].map(() => b.write(new Float32Array(256), [256], 'f32'));
    const reused = again.filter((a) => held.has((a as { buffer: GPUBuffer }).buffer)).length;
    expect(reused).toBe(2);
    for (const a of again) b.disposeData(a);
    b.disposeData(out.dataId);
    x.dispose();
  });

  it('replays the in-place SSM decode step: each replay advances the state variables as an eager step does', async () => {
    // B = 2, H = 4, P = 3, G = 2, N = 5, K = 3 (convDim 32, 48 step columns at offset 6 of a row of 60).
    const [B, H, P, N, K, offset] = [2, 4, 3, 5, 3, 6];
    const convDim = H * P + 4 * N;
    const row = offset + H * P + convDim + H + 6;
    const fixed = {
      zxbcdt: tensor(values(B * row, 11), [B, row]),
      convWeight: tensor(values(convDim * K, 12), [convDim, K]),
      dtBias: tensor(values(H, 13), [H]),
      A: tensor(
        values(H, 14).map((v) => -0.5 - Math.abs(v)),
        [H],
      ),
    };
    const states = () => ({
      convState: variable(tensor(values(B * convDim * K, 15), [B, convDim, K]), { trainable: false }),
      ssmState: variable(tensor(values(B * H * P * N, 16), [B, H, P, N]), { trainable: false }),
    });
    const eager = states();
    const captured = states();
    const graph = captureGraph(() => ({ y: ssmDecodeStepInPlace({ ...fixed, ...captured }, { offset }) }), b);
    for (let step = 0; step < 3; step++) {
      graph.replay();
      const y = ssmDecodeStepInPlace({ ...fixed, ...eager }, { offset });
      expect(relL2(await floats(graph.outputs.y), await floats(y)), `y, step ${step}`).toBeLessThanOrEqual(1e-6);
      for (const name of ['convState', 'ssmState'] as const) {
        const [got, want] = [await floats(captured[name]), await floats(eager[name])];
        expect(relL2(got, want), `${name}, step ${step}`).toBeLessThanOrEqual(1e-6);
      }
      y.dispose();
    }
    graph.dispose();
    for (const t of [...Object.values(fixed), ...Object.values(eager), ...Object.values(captured)]) t.dispose();
    expect(b.liveGraphs).toBe(0);
  });

  it('says when end() has no capture to end', () => {
    expect(() => b.graphs.end()).toThrow(/no capture in progress/);
  });
});

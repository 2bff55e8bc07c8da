/**
 * Timed replays (src/graph-capture.ts: `encodeTimed`, `DispatchTimer`, `timingsByProgram`, `timedReplay`) on whatever adapter this
 * machine has (lavapipe in CI offers 'timestamp-query'): a graph of more dispatches than one query set holds,
 * recorded with a copy between its passes, computes under `encodeTimed` exactly what `encode` computes, and yields
 * one non-negative GPU time per dispatch, summed per program.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BufferUsage, MapMode, ShaderStage } from '../src/gpu.js';
import {
  DispatchTimer,
  type GraphProgram,
  GraphRecorder,
  timedReplay,
  timingsByProgram,
} from '../src/graph-capture.js';

/** A Dawn device with 'timestamp-query', or why there is none. */
async function timestampDevice(): Promise<GPUDevice | string> {
  try {
    const name = 'webgpu';
    const mod = (await import(/* @vite-ignore */ name)) as { create(flags: string[]): GPU };
    const gpu = mod.create([]);
    // Dawn's GPU object must outlive the device (see gpu.ts).
    (globalThis as { __timingGpu?: GPU }).__timingGpu = gpu;
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'no WebGPU adapter';
    if (!adapter.features.has('timestamp-query')) return "the adapter has no 'timestamp-query'";
    return await adapter.requestDevice({ requiredFeatures: ['timestamp-query'] });
  } catch (error) {
    return (error as Error).message;
  }
}

const device = await timestampDevice();
if (typeof device === 'string') console.warn(`graph timing tests skipped: ${device}`);

/** x[i] += params.value for the 64 elements of x: each dispatch adds its own uniform. */
function addProgram(gpu: GPUDevice): GraphProgram {
  const module = gpu.createShaderModule({
    code: `
struct Params { value: f32, pad0: f32, pad1: f32, pad2: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) { x[id.x] = x[id.x] + params.value; }`,
  });
  const layout = gpu.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      { binding: 1, visibility: ShaderStage.COMPUTE, buffer: { type: 'storage' } },
    ],
  });
  const pipeline = gpu.createComputePipeline({
    layout: gpu.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main' },
  });
  return { pipeline, layout, uniformBytes: 16, name: 'add' };
}

async function readFloats(gpu: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = gpu.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = gpu.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  gpu.queue.submit([encoder.finish()]);
  await staging.mapAsync(MapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

describe.runIf(typeof device !== 'string')('timed graph replays', () => {
  const gpu = device as GPUDevice;
  afterAll(() => gpu.destroy());

  it('computes what encode computes, with one GPU time per dispatch over two query sets', async () => {
    const program = addProgram(gpu);
    const bytes = 64 * 4;
    const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
    const x = gpu.createBuffer({ size: bytes, usage });
    const copied = gpu.createBuffer({ size: bytes, usage });
    gpu.queue.writeBuffer(x, 0, new Float32Array(64).fill(1));
    // 2,050 dispatches (one more query set than 2,048 hold), a copy after the first 1,000.
    const n = 2050;
    const recorder = new GraphRecorder(gpu.limits.minUniformBufferOffsetAlignment);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const offset = recorder.reserve(16);
      const value = (k % 7) - 3;
      recorder.slab.f32[offset / 4] = value;
      sum += value;
      recorder.dispatch(program, [{ buffer: x, capacity: bytes }], offset, [1, 1, 1]);
      if (k === 999) recorder.copy(x, 0, copied, 0, bytes);
    }
    const graph = recorder.compile(gpu, 'timing test');
    expect(graph.dispatches).toBe(n);

    let encoder = gpu.createCommandEncoder();
    graph.encode(encoder);
    gpu.queue.submit([encoder.finish()]);
    const timer = new DispatchTimer(gpu, graph.dispatches);
    encoder = gpu.createCommandEncoder();
    graph.encodeTimed(encoder, timer);
    timer.resolve(encoder);
    gpu.queue.submit([encoder.finish()]);
    const micros = await timer.read();
    timer.destroy();
    // timedReplay: the same, a third run, summed per program.
    const timed = gpu.createCommandEncoder();
    const profile = await timedReplay(gpu, graph, timed, () => gpu.queue.submit([timed.finish()]));

    // Three runs: 1 + 3·sum everywhere; the copy saw the third run's first 1,000 dispatches.
    expect(Array.from(await readFloats(gpu, x, bytes))).toEqual(new Array(64).fill(1 + 3 * sum));
    let firstThousand = 0;
    for (let k = 0; k < 1000; k++) firstThousand += (k % 7) - 3;
    expect(Array.from(await readFloats(gpu, copied, bytes))).toEqual(new Array(64).fill(1 + 2 * sum + firstThousand));
    expect(profile.dispatches).toBe(n);
    expect(profile.programs.add!.dispatches).toBe(n);
    expect(profile.totalUs).toBeCloseTo(profile.programs.add!.totalUs, 6);

    expect(micros.length).toBe(n);
    for (const us of micros) {
      expect(Number.isFinite(us)).toBe(true);
      expect(us).toBeGreaterThanOrEqual(0);
    }
    const byProgram = timingsByProgram(graph.programs, micros);
    expect(Object.keys(byProgram)).toEqual(['add']);
    const total = micros.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    expect(byProgram.add).toEqual({
      dispatches: n,
      totalUs: total,
      meanUs: total / n,
      maxUs: Math.max(...micros),
    });
    expect(() => graph.encodeTimed(gpu.createCommandEncoder(), new DispatchTimer(gpu, 10))).toThrow(
      /a timer of 10 dispatches for a graph of 2050/,
    );
    graph.destroy();
    x.destroy();
    copied.destroy();
  });

  it('timingsByProgram sums per program, the largest total first', () => {
    const t = timingsByProgram(['a', 'b', 'a', 'c'], [1, 10, 2, 0.5]);
    expect(Object.keys(t)).toEqual(['b', 'a', 'c']);
    expect(t.a).toEqual({ dispatches: 2, totalUs: 3, meanUs: 1.5, maxUs: 2 });
  });
});

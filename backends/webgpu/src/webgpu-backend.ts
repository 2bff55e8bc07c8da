/**
 * WebGPUBackend: every kernel of kernel-contract.ts on WebGPU (WGSL compute shaders), in browsers through
 * navigator.gpu and in Node through Dawn (the `webgpu` npm package).
 *
 * Execution model. Kernels are synchronous calls that only ENCODE work: each one allocates its outputs, writes
 * its small parameters into the batch's uniform slab and records a dispatch in the one open command encoder
 * (one compute pass for consecutive dispatches). Nothing is submitted until a read, `synchronize()`, or a full
 * batch; then the slab is uploaded with one writeBuffer and the encoder is submitted. Pipelines are compiled
 * once per program variant and cached. Validation and out-of-memory errors are caught with error scopes around
 * each batch and thrown by the next `read`/`synchronize` (WebGPU reports them asynchronously).
 *
 * Memory. One GPUBuffer per tensor buffer (DataId = GpuData), sized up to a bucket and recycled through a pool
 * on `disposeData`. Dispatches are ordered, so a pooled buffer may be reused by later kernels of the same batch;
 * `write` (queue.writeBuffer, which runs before the open batch) never takes a buffer the open batch touched.
 * Storage forms: f32/i32 as is, f16 as 2-byte halves (only with the adapter's `shader-f16`), u8 as one u32 per
 * element (WGSL has no 8-bit type; the bytes are packed and unpacked at write and read). bf16, f64 and i64
 * are not supported.
 *
 * Graph capture (`graphs`, see graph-capture.ts): between begin and end the kernels are recorded instead of
 * encoded, and a replay encodes the whole recording with no per-kernel host work beyond the encoder calls.
 */
import type {
  Backend,
  BackendCapabilities,
  BackendGraphCapture,
  BackendMemoryInfo,
  DataId,
  DType,
  FusedKernelName,
  KernelAttrs,
  KernelInputs,
  StorageArray,
  TensorInfo,
} from '@falcon-h1/core-tensor';
import { type AcquiredDevice, BufferUsage, describeAdapter, MapMode, ShaderStage } from './gpu.js';
import {
  type CompiledGraph,
  countPrograms,
  GraphRecorder,
  type GraphReplayProfile,
  timedReplay,
  type UniformSlab,
} from './graph-capture.js';
import { type Elem, type ProgramDef, programKey, programSource, type UniformLayout, uniformLayout } from './program.js';
import { registerAllKernels, type WebGPUKernelTable } from './register-all-kernels.js';
import { sizeOf } from './shape.js';
import { supportsFused } from './supports.js';

/** The backend's DataId: one GPU buffer holding one tensor buffer. */
export interface GpuData {
  readonly id: number;
  readonly buffer: GPUBuffer;
  /** Allocated bytes (the pool's bucket). */
  readonly capacity: number;
  /** Bytes the elements use (u8: 4 per element, f16: 2). */
  readonly bytes: number;
  readonly dtype: DType;
  /** Elements. */
  readonly size: number;
  /** Internal buffers (constants, scratch) are not counted by memory(). */
  readonly internal: boolean;
  disposed: boolean;
}

/**
 * Counters of the work the backend has done since it started (they only grow): what the issue's decode contract
 * is checked with — no pipeline compiled per token, one submit per step, not one per kernel.
 */
export interface WebGPUStats {
  /** Compute pipelines compiled (one per program variant, then cached). */
  readonly pipelinesCreated: number;
  /** queue.submit calls (one per batch of kernels). */
  readonly submits: number;
  /** Compute dispatches recorded. */
  readonly dispatches: number;
  /** Reads of tensors back to the host (each one maps a staging buffer asynchronously). */
  readonly readbacks: number;
  /** GPU buffers created (the pool serves the rest). */
  readonly buffersCreated: number;
  /** Bind groups created (a dispatch that binds the same buffers to the same pipeline as before reuses one). */
  readonly bindGroupsCreated: number;
  /** Graphs captured (`graphs.end`). */
  readonly graphsCaptured: number;
  /** Graph replays encoded (their dispatches count in `dispatches`). */
  readonly graphReplays: number;
}

interface PooledBuffer {
  readonly buffer: GPUBuffer;
  readonly capacity: number;
}

interface Pipeline {
  /** Distinguishes pipelines in bind-group cache keys. */
  readonly index: number;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly uniforms: UniformLayout;
  readonly name: string;
  /** Bytes of the uniform struct (graph-capture.ts's GraphProgram). */
  readonly uniformBytes: number;
  /** The program with its uniforms at a fixed offset, for captured graphs (graph-capture.ts's GraphProgram). */
  readonly fixedOffsetForm: () => { readonly pipeline: GPUComputePipeline; readonly layout: GPUBindGroupLayout };
}

/** Bytes per element as stored on the GPU. */
export const STORED_BYTES: Readonly<Record<DType, number>> = {
  f32: 4,
  f16: 2,
  i32: 4,
  u8: 4,
  f64: 8,
  bf16: 2,
  i64: 8,
};

/** The WGSL element type of a dtype's storage array. */
export function elemOf(dtype: DType): Elem {
  switch (dtype) {
    case 'f32':
      return 'f32';
    case 'f16':
      return 'f16';
    case 'i32':
      return 'i32';
    case 'u8':
      return 'u32';
    default:
      throw new Error(`webgpu: dtype ${dtype} is not supported (f32, f16 with shader-f16, i32, u8)`);
  }
}

const PARAMS_BYTES = 1 << 20;
/**
 * Bind groups kept for reuse, least recently used dropped first. Creating one is the dearest part of a dispatch on
 * the host (tens of microseconds through Dawn in Node), and a decode step binds mostly the same buffers as the step
 * before it (weights, and activations the pool hands out in the same order).
 */
const BIND_GROUP_CACHE = 8192;
/** Dispatches after which a batch is submitted even without a read (lets the GPU start on long programs). */
const MAX_BATCH_DISPATCHES = 1024;
/** Bytes of freed buffers kept for reuse. */
const POOL_BUDGET = 512 * 1024 * 1024;

function bucket(bytes: number, max: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  let p = 16;
  while (p < b) p *= 2;
  const step = Math.max(16, p / 8);
  const cap = Math.ceil(b / step) * step;
  return cap <= max ? cap : b;
}

export class WebGPUBackend implements Backend {
  readonly apiVersion = 1;
  readonly name = 'webgpu';
  readonly device: string;
  readonly capabilities: BackendCapabilities;
  readonly kernels: WebGPUKernelTable;
  readonly gpu: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly hasF16: boolean;
  /** The subgroup size of the kernels' subgroup forms, when they are on (the default where the adapter has them). */
  readonly subgroupSize: number | undefined;
  /** Largest storage binding in bytes (a tensor must fit one). */
  readonly maxBindingBytes: number;

  private nextId = 1;
  private liveBuffers = 0;
  private liveBytes = 0;
  private readonly pool = new Map<number, PooledBuffer[]>();
  private pooledBytes = 0;
  private readonly stagingPool = new Map<number, GPUBuffer[]>();
  private readonly pipelines = new Map<string, Pipeline>();
  private readonly constants = new Map<string, GpuData>();

  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  /** Id of the open (not yet submitted) batch; buffers record the last batch that bound them. */
  private batch = 1;
  private batchDispatches = 0;
  private batchKernels: string[] = [];
  private readonly lastUse = new WeakMap<GPUBuffer, number>();
  private readonly paramsCpu = new ArrayBuffer(PARAMS_BYTES);
  private readonly paramsU32 = new Uint32Array(this.paramsCpu);
  private readonly paramsI32 = new Int32Array(this.paramsCpu);
  private readonly paramsF32 = new Float32Array(this.paramsCpu);
  private paramsUsed = 0;
  private readonly paramsBuffer: GPUBuffer;
  private readonly paramsAlign: number;
  private pendingErrors: Array<Promise<{ error: GPUError | null; kernels: string }>> = [];
  private uncaptured: string[] = [];
  private lost: string | undefined;
  private disposed = false;
  private readonly counters = {
    pipelinesCreated: 0,
    submits: 0,
    dispatches: 0,
    readbacks: 0,
    buffersCreated: 0,
    bindGroupsCreated: 0,
    graphsCaptured: 0,
    graphReplays: 0,
  };
  private readonly paramsSlab: UniformSlab = { u32: this.paramsU32, i32: this.paramsI32, f32: this.paramsF32 };
  /** The capture in progress (kernels are recorded into it instead of the encoder). */
  private capture: GraphRecorder | undefined;
  private readonly capturedGraphs = new Map<number, CompiledGraph>();
  private nextGraph = 1;
  /** Set by `profileNextReplay`: records the next replay timed. */
  private timeNextReplay: ((graph: CompiledGraph, encoder: GPUCommandEncoder) => void) | undefined;
  /** The batch holding a replay not yet submitted (a queue write must not overtake it). */
  private replayBatch = 0;
  /** The program of each dispatch while counting (`countDispatches`), for profiles. */
  private programLog: string[] | undefined;
  /** Bind groups by pipeline and bound buffers (see BIND_GROUP_CACHE); buffer ids never repeat. */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;

  constructor(acquired: AcquiredDevice) {
    this.gpu = acquired.device;
    this.limits = this.gpu.limits;
    this.hasF16 = acquired.features.has('shader-f16');
    this.subgroupSize = acquired.subgroupSize;
    this.device = describeAdapter(acquired);
    this.maxBindingBytes = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    this.capabilities = {
      dtypes: this.hasF16 ? ['f32', 'f16', 'i32', 'u8'] : ['f32', 'i32', 'u8'],
      syncReadback: false,
      maxBufferBytes: this.maxBindingBytes,
    };
    this.paramsAlign = Math.max(16, this.limits.minUniformBufferOffsetAlignment);
    this.paramsBuffer = this.gpu.createBuffer({
      label: 'falcon-h1 params',
      size: PARAMS_BYTES,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    this.gpu.addEventListener('uncapturederror', (event) => {
      this.uncaptured.push((event as GPUUncapturedErrorEvent).error.message);
    });
    void this.gpu.lost.then((info) => {
      if (!this.disposed) this.lost = `the WebGPU device was lost (${info.reason}): ${info.message}`;
    });
    this.kernels = registerAllKernels(this);
  }

  // ------------------------------------------------------------------------------------------------ memory

  private checkUsable(): void {
    if (this.disposed) throw new Error('webgpu: the backend was disposed');
    if (this.lost) throw new Error(`webgpu: ${this.lost}`);
  }

  private acquireBuffer(bytes: number, forWrite: boolean, label: string): PooledBuffer {
    if (bytes > this.maxBindingBytes) {
      throw new Error(
        `webgpu: ${label} needs a ${bytes}-byte buffer but this adapter binds at most ${this.maxBindingBytes} bytes (maxStorageBufferBindingSize)`,
      );
    }
    const capacity = bucket(bytes, this.maxBindingBytes);
    // A replayed graph's buffers are not marked used per replay (that would cost a loop over them each time): a
    // queue write waits for the replay's submission instead.
    if (forWrite && this.encoder && this.replayBatch === this.batch) this.flush();
    const list = this.pool.get(capacity);
    if (list) {
      // The oldest free buffer first (lists are sorted by buffer id): which buffer an allocation gets then depends
      // only on the set of free buffers, not on the order they were freed in, so a decode step that allocates and
      // frees like the step before it gets the same buffers — and finds its bind groups in the cache. (Handing out
      // the last freed buffer instead permutes them from step to step: on a 36-layer model half of the ~1,700
      // dispatches of a generate() step created a bind group.)
      for (let i = 0; i < list.length; i++) {
        const entry = list[i]!;
        if (forWrite && this.encoder && this.lastUse.get(entry.buffer) === this.batch) continue;
        list.splice(i, 1);
        this.pooledBytes -= capacity;
        return entry;
      }
    }
    this.counters.buffersCreated++;
    const buffer = this.gpu.createBuffer({
      label,
      size: capacity,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    this.bufferId(buffer);
    return { buffer, capacity };
  }

  private releaseBuffer(entry: PooledBuffer): void {
    if (this.pooledBytes + entry.capacity > POOL_BUDGET) {
      // Over budget: drop the pool's oldest buffers (destroy waits for queued work that uses them).
      for (const [cap, list] of this.pool) {
        while (list.length && this.pooledBytes + entry.capacity > POOL_BUDGET) {
          // The newest buffer of the bucket: the one allocations reach last.
          const old = list.pop()!;
          this.pooledBytes -= cap;
          this.destroyLater(old.buffer);
        }
      }
    }
    if (entry.capacity > POOL_BUDGET) {
      this.destroyLater(entry.buffer);
      return;
    }
    let list = this.pool.get(entry.capacity);
    if (!list) {
      list = [];
      this.pool.set(entry.capacity, list);
    }
    // Sorted by buffer id (see acquireBuffer).
    const id = this.bufferId(entry.buffer);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.bufferId(list[mid]!.buffer) < id) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, entry);
    this.pooledBytes += entry.capacity;
  }

  private destroyLater(buffer: GPUBuffer): void {
    // A buffer used by the open batch must live until it is submitted; destroy() after submit is safe.
    if (this.encoder && (this.lastUse.get(buffer) === this.batch || this.replayBatch === this.batch)) this.flush();
    buffer.destroy();
  }

  /** A new buffer for a tensor of `shape`/`dtype` (contents undefined). */
  alloc(shape: readonly number[], dtype: DType, internal = false, forWrite = false): GpuData {
    this.checkUsable();
    const size = sizeOf(shape);
    const bytes = size * STORED_BYTES[dtype];
    elemOf(dtype);
    const { buffer, capacity } = this.acquireBuffer(bytes, forWrite, `${dtype}[${shape.join(',')}]`);
    const data: GpuData = { id: this.nextId++, buffer, capacity, bytes, dtype, size, internal, disposed: false };
    if (!internal) {
      this.liveBuffers++;
      this.liveBytes += bytes;
    }
    return data;
  }

  /** An output tensor: a fresh buffer and its TensorInfo. */
  output(shape: readonly number[], dtype: DType): TensorInfo {
    return { dataId: this.alloc(shape, dtype), shape: [...shape], dtype };
  }

  /** The buffer behind a tensor, checked. */
  data(info: TensorInfo): GpuData {
    const d = info.dataId as Partial<GpuData>;
    if (!d || typeof d !== 'object' || !(d.buffer && typeof d.id === 'number')) {
      throw new Error('webgpu: a tensor whose buffer was not created by this backend');
    }
    const data = d as GpuData;
    if (data.disposed) throw new Error(`webgpu: buffer #${data.id} was used after it was disposed`);
    if (data.dtype !== info.dtype)
      throw new Error(`webgpu: tensor says ${info.dtype} but its buffer holds ${data.dtype}`);
    if (data.size !== sizeOf(info.shape)) {
      throw new Error(`webgpu: tensor shape [${info.shape.join(', ')}] does not match its buffer of ${data.size}`);
    }
    return data;
  }

  /** Frees a scratch buffer made with `alloc(…, internal=true)` (reusable by later kernels at once). */
  free(data: GpuData): void {
    if (data.disposed) return;
    data.disposed = true;
    if (!data.internal) {
      this.liveBuffers--;
      this.liveBytes -= data.bytes;
    }
    const entry = { buffer: data.buffer, capacity: data.capacity };
    // While capturing, the recording may name this buffer: it stays the graph's until release.
    if (this.capture) this.capture.hold(entry);
    else this.releaseBuffer(entry);
  }

  write(values: StorageArray, shape: readonly number[], dtype: DType): DataId {
    this.checkUsable();
    const size = sizeOf(shape);
    if (values.length !== size) {
      throw new Error(
        `webgpu write: shape [${shape.join(', ')}] has ${size} elements but ${values.length} values were given`,
      );
    }
    const expected: Record<string, string> = {
      f32: 'Float32Array',
      f16: 'Uint16Array',
      i32: 'Int32Array',
      u8: 'Uint8Array',
    };
    if (!(dtype in expected)) elemOf(dtype);
    if (dtype === 'f16' && !this.hasF16) throw new Error('webgpu: f16 needs the adapter feature shader-f16');
    const ok =
      (dtype === 'f32' && values instanceof Float32Array) ||
      (dtype === 'f16' && values instanceof Uint16Array) ||
      (dtype === 'i32' && values instanceof Int32Array) ||
      (dtype === 'u8' && values instanceof Uint8Array);
    if (!ok)
      throw new Error(`webgpu write: a ${dtype} tensor takes a ${expected[dtype]}, got ${values.constructor.name}`);
    this.refuseWhileCapturing('upload a tensor (write)');
    const data = this.alloc(shape, dtype, false, true);
    if (size > 0) this.upload(data, values);
    return data;
  }

  /** queue.writeBuffer of storage-form values (u8 widened to u32, padded to 4 bytes). */
  private upload(data: GpuData, values: StorageArray): void {
    let bytes: ArrayBufferView;
    if (data.dtype === 'u8') bytes = Uint32Array.from(values as Uint8Array);
    else if (data.dtype === 'f16' && values.length % 2 === 1) {
      const padded = new Uint16Array(values.length + 1);
      padded.set(values as Uint16Array);
      bytes = padded;
    } else bytes = values as ArrayBufferView;
    this.gpu.queue.writeBuffer(data.buffer, 0, bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A cached constant buffer (e.g. RoPE inverse frequencies), uploaded once. */
  constant(key: string, values: Float32Array | Int32Array | Uint32Array): GpuData {
    let data = this.constants.get(key);
    if (!data) {
      const dtype: DType = values instanceof Float32Array ? 'f32' : 'i32';
      data = this.alloc([values.length], dtype, true, true);
      if (values.length)
        this.gpu.queue.writeBuffer(data.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
      this.constants.set(key, data);
    }
    return data;
  }

  /** A small buffer bound in place of an absent optional input (the shader never reads it). */
  dummy(): GpuData {
    return this.constant('dummy', new Float32Array(4));
  }

  async read(info: TensorInfo): Promise<StorageArray> {
    this.checkUsable();
    this.refuseWhileCapturing('read a tensor back');
    const data = this.data(info);
    const { dtype } = data;
    if (data.size === 0) return emptyStorage(dtype);
    const bytes = Math.ceil(data.bytes / 4) * 4;
    const staging = this.acquireStaging(bytes);
    this.counters.readbacks++;
    this.copyBuffer(data.buffer, staging, bytes);
    this.flush();
    try {
      await staging.mapAsync(MapMode.READ, 0, bytes);
    } catch (error) {
      await this.checkErrors();
      throw new Error(`webgpu: reading buffer #${data.id} failed: ${(error as Error).message}`);
    }
    const raw = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.releaseStaging(staging, bytes);
    await this.checkErrors();
    switch (dtype) {
      case 'f32':
        return new Float32Array(raw, 0, data.size);
      case 'f16':
        return new Uint16Array(raw, 0, data.size);
      case 'i32':
        return new Int32Array(raw, 0, data.size);
      case 'u8':
        return Uint8Array.from(new Uint32Array(raw, 0, data.size));
      default:
        throw new Error(`webgpu: cannot read dtype ${dtype}`);
    }
  }

  private acquireStaging(bytes: number): GPUBuffer {
    const cap = bucket(bytes, Number.MAX_SAFE_INTEGER);
    const list = this.stagingPool.get(cap);
    if (list?.length) return list.pop()!;
    return this.gpu.createBuffer({
      label: 'falcon-h1 readback',
      size: cap,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
  }

  private releaseStaging(buffer: GPUBuffer, bytes: number): void {
    const cap = bucket(bytes, Number.MAX_SAFE_INTEGER);
    let list = this.stagingPool.get(cap);
    if (!list) {
      list = [];
      this.stagingPool.set(cap, list);
    }
    if (list.length < 4 && cap <= 64 * 1024 * 1024) list.push(buffer);
    else buffer.destroy();
  }

  disposeData(dataId: DataId): void {
    const data = dataId as GpuData;
    if (data.disposed) throw new Error(`webgpu disposeData: buffer #${data.id} was already disposed (double free)`);
    if (data.internal) throw new Error('webgpu disposeData: an internal buffer');
    this.free(data);
  }

  memory(): BackendMemoryInfo {
    return { buffers: this.liveBuffers, bytes: this.liveBytes };
  }

  /** A snapshot of the work counters (see WebGPUStats). */
  stats(): WebGPUStats {
    return { ...this.counters };
  }

  supportsKernel<K extends FusedKernelName>(name: K, inputs: KernelInputs<K>, attrs: KernelAttrs<K>): true | string {
    return supportsFused(this, name, inputs, attrs);
  }

  async synchronize(): Promise<void> {
    this.checkUsable();
    this.refuseWhileCapturing('synchronize');
    this.flush();
    await this.gpu.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  dispose(): void {
    if (this.disposed) return;
    try {
      this.flush();
    } catch {
      // The device may be lost; everything goes anyway.
    }
    this.disposed = true;
    this.capture = undefined;
    for (const g of this.capturedGraphs.values()) {
      g.destroy();
      for (const h of g.held) h.buffer.destroy();
    }
    this.capturedGraphs.clear();
    for (const list of this.pool.values()) for (const e of list) e.buffer.destroy();
    for (const list of this.stagingPool.values()) for (const b of list) b.destroy();
    for (const c of this.constants.values()) c.buffer.destroy();
    this.pool.clear();
    this.bindGroups.clear();
    this.stagingPool.clear();
    this.constants.clear();
    this.paramsBuffer.destroy();
    this.gpu.destroy();
  }

  // ------------------------------------------------------------------------------------------------ encoding

  private open(): GPUCommandEncoder {
    if (!this.encoder) {
      this.gpu.pushErrorScope('validation');
      this.gpu.pushErrorScope('out-of-memory');
      this.encoder = this.gpu.createCommandEncoder({ label: `falcon-h1 batch ${this.batch}` });
    }
    return this.encoder;
  }

  /** Submits the open batch (if any). */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
    }
    if (this.paramsUsed > 0) this.gpu.queue.writeBuffer(this.paramsBuffer, 0, this.paramsCpu, 0, this.paramsUsed);
    this.gpu.queue.submit([this.encoder.finish()]);
    this.counters.submits++;
    this.encoder = undefined;
    const kernels = summarize(this.batchKernels);
    const oom = this.gpu.popErrorScope();
    const validation = this.gpu.popErrorScope();
    this.pendingErrors.push(oom.then((error) => ({ error, kernels })));
    this.pendingErrors.push(validation.then((error) => ({ error, kernels })));
    this.paramsUsed = 0;
    this.batchDispatches = 0;
    this.batchKernels = [];
    this.batch++;
  }

  /** Throws the first error WebGPU reported since the last check. */
  private async checkErrors(): Promise<void> {
    const pending = this.pendingErrors;
    this.pendingErrors = [];
    const results = await Promise.all(pending);
    const failed = results.find((r) => r.error);
    if (failed?.error) throw new Error(`webgpu: ${failed.error.message} (in a batch running ${failed.kernels})`);
    if (this.uncaptured.length) {
      const message = this.uncaptured.join('; ');
      this.uncaptured = [];
      throw new Error(`webgpu: ${message}`);
    }
    if (this.lost) throw new Error(`webgpu: ${this.lost}`);
  }

  /**
   * Core's `overwrite`: copies source into target's existing buffer in the open encoder, so state updated every
   * step (StaticDecoder's caches) keeps its buffer — and every bind group that names it stays cached.
   */
  overwrite(target: TensorInfo, source: TensorInfo): void {
    const to = this.data(target);
    const from = this.data(source);
    if (to.bytes !== from.bytes || target.dtype !== source.dtype) {
      throw new Error(`webgpu overwrite: ${source.dtype} ${from.bytes} bytes into ${target.dtype} ${to.bytes} bytes`);
    }
    const bytes = Math.ceil(from.bytes / 4) * 4;
    if (bytes > 0) this.copyBuffer(from.buffer, to.buffer, bytes);
  }

  // ------------------------------------------------------------------------------------------------ graphs

  /** Core's graph capture (`captureGraph`, StaticDecoder): see graph-capture.ts. */
  readonly graphs: BackendGraphCapture = {
    begin: () => this.beginCapture(),
    end: () => this.endCapture(),
    replay: (graph) => this.replayGraph(graph),
    release: (graph) => this.releaseGraph(graph),
  };

  private beginCapture(): void {
    this.checkUsable();
    if (this.capture) throw new Error('webgpu graphs.begin: a capture is already in progress');
    // Work enqueued before the capture runs before it (and before any replay).
    this.flush();
    this.capture = new GraphRecorder(this.paramsAlign);
  }

  private endCapture(): number {
    const recorder = this.capture;
    if (!recorder) throw new Error('webgpu graphs.end: no capture in progress (graphs.begin was not called)');
    this.capture = undefined;
    const id = this.nextGraph++;
    const graph = recorder.compile(this.gpu, `falcon-h1 graph ${id}`);
    this.capturedGraphs.set(id, graph);
    this.counters.graphsCaptured++;
    this.counters.bindGroupsCreated += graph.bindGroups;
    return id;
  }

  private capturedGraph(id: number, what: string): CompiledGraph {
    const graph = this.capturedGraphs.get(id);
    if (!graph) throw new Error(`webgpu graphs.${what}: no graph #${id} (never captured, or released)`);
    return graph;
  }

  private replayGraph(id: number): void {
    this.checkUsable();
    this.refuseWhileCapturing('replay a graph');
    const graph = this.capturedGraph(id, 'replay');
    const encoder = this.open();
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
    }
    const timed = this.timeNextReplay;
    this.timeNextReplay = undefined;
    if (timed) timed(graph, encoder);
    else graph.encode(encoder);
    this.replayBatch = this.batch;
    this.counters.graphReplays++;
    this.counters.dispatches += graph.dispatches;
    this.batchDispatches += graph.dispatches;
    this.batchKernels.push(`graph #${id}`);
  }

  private releaseGraph(id: number): void {
    const graph = this.capturedGraph(id, 'release');
    this.capturedGraphs.delete(id);
    // The open batch may hold a replay of it: submit that before its uniform buffer goes.
    if (this.encoder && this.replayBatch === this.batch) this.flush();
    graph.destroy();
    if (this.disposed) return;
    for (const entry of graph.held) this.releaseBuffer(entry);
  }

  /**
   * Times the next graph replay on the GPU, dispatch by dispatch (graph-capture.ts's `timedReplay`: one compute pass
   * per dispatch with timestamps around it); resolves once that replay has run. Needs 'timestamp-query'.
   */
  profileNextReplay(): Promise<GraphReplayProfile> {
    if (!this.gpu.features.has('timestamp-query')) {
      return Promise.reject(new Error("webgpu profileNextReplay: the adapter offers no 'timestamp-query'"));
    }
    return new Promise((resolve, reject) => {
      this.timeNextReplay = (graph, encoder) => {
        timedReplay(this.gpu, graph, encoder, () => this.flush()).then(resolve, reject);
      };
    });
  }

  /** Graphs captured and not yet released. */
  get liveGraphs(): number {
    return this.capturedGraphs.size;
  }

  /** What one replay of graph `id` records: dispatches per program, passes, copies, bind groups, held buffers. */
  graphProfile(id: number): {
    dispatches: number;
    passes: number;
    copies: number;
    bindGroups: number;
    heldBuffers: number;
    programs: Record<string, number>;
  } {
    const g = this.capturedGraph(id, 'profile');
    return {
      dispatches: g.dispatches,
      passes: g.passes,
      copies: g.copies,
      bindGroups: g.bindGroups,
      heldBuffers: g.held.length,
      programs: countPrograms(g.programs),
    };
  }

  /**
   * Counts the dispatches of each program that `work` records (eagerly or into a capture), most frequent first:
   * where a step's kernels go.
   */
  countDispatches(work: () => void): Record<string, number> {
    const log: string[] = [];
    const outer = this.programLog;
    this.programLog = log;
    try {
      work();
    } finally {
      this.programLog = outer;
    }
    return countPrograms(log);
  }

  private refuseWhileCapturing(what: string): void {
    if (this.capture) {
      throw new Error(
        `webgpu: cannot ${what} while capturing a graph (a replay cannot repeat it): make inputs before graphs.begin and read outputs after a replay`,
      );
    }
  }

  copyBuffer(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.checkUsable();
    if (this.capture) {
      this.capture.copy(src, srcOffset, dst, dstOffset, bytes);
      return;
    }
    const encoder = this.open();
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
    }
    encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.lastUse.set(src, this.batch);
    this.lastUse.set(dst, this.batch);
  }

  private pipeline(def: ProgramDef): Pipeline {
    const key = programKey(def);
    let p = this.pipelines.get(key);
    if (!p) {
      const code = programSource(def);
      const name = `${def.shader}${def.variant ? `:${def.variant}` : ''}`;
      const module = this.gpu.createShaderModule({ label: name, code });
      const form = (dynamicOffset: boolean) => {
        const layout = this.gpu.createBindGroupLayout({
          label: name,
          entries: [
            // Eagerly the parameters' offset in the batch's slab is a dynamic offset, so a bind group outlives one
            // dispatch; a captured graph's dispatches have their own bind groups, the offset fixed in them.
            {
              binding: 0,
              visibility: ShaderStage.COMPUTE,
              buffer: { type: 'uniform', hasDynamicOffset: dynamicOffset },
            },
            ...def.bindings.map(
              (b, i): GPUBindGroupLayoutEntry => ({
                binding: i + 1,
                visibility: ShaderStage.COMPUTE,
                buffer: { type: b.write ? 'storage' : 'read-only-storage' },
              }),
            ),
          ],
        });
        const pipeline = this.gpu.createComputePipeline({
          label: name,
          layout: this.gpu.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: 'main' },
        });
        this.counters.pipelinesCreated++;
        return { pipeline, layout };
      };
      const { pipeline, layout } = form(true);
      let fixed: { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } | undefined;
      const fixedOffsetForm = () => {
        fixed ??= form(false);
        return fixed;
      };
      const uniforms = uniformLayout(def);
      p = {
        index: this.pipelines.size,
        pipeline,
        layout,
        uniforms,
        name,
        uniformBytes: uniforms.size,
        fixedOffsetForm,
      };
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Records one dispatch of `def` with `buffers` bound in the order of def.bindings and `uniforms` by name.
   * `groups` is a workgroup count (spread over x and y when it exceeds maxComputeWorkgroupsPerDimension; the
   * shader reads the flat index from `group_index(wid, nwg)`) or an explicit [x, y, z] grid.
   */
  dispatch(
    def: ProgramDef,
    buffers: ReadonlyArray<GpuData>,
    uniforms: Readonly<Record<string, number | readonly number[]>>,
    groups: number | readonly [number, number, number],
  ): void {
    this.checkUsable();
    if (buffers.length !== def.bindings.length) {
      throw new Error(`webgpu: program ${def.shader} binds ${def.bindings.length} buffers, got ${buffers.length}`);
    }
    const grid = typeof groups === 'number' ? this.grid(groups) : groups;
    if (grid[0] === 0 || grid[1] === 0 || grid[2] === 0) return;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (grid.some((g) => g > max))
      throw new Error(`webgpu: grid [${grid.join(', ')}] exceeds ${max} workgroups per dimension`);
    const p = this.pipeline(def);
    for (const b of buffers) {
      if (b.disposed) throw new Error(`webgpu: ${def.shader} binds buffer #${b.id} after it was disposed`);
    }
    this.programLog?.push(p.name);
    if (this.capture) {
      const offset = this.capture.reserve(p.uniforms.size);
      this.writeUniforms(p.uniforms, offset, uniforms, def.shader, this.capture.slab);
      this.capture.dispatch(p, buffers, offset, grid);
      return;
    }
    const slot = Math.ceil(p.uniforms.size / this.paramsAlign) * this.paramsAlign;
    if (this.paramsUsed + slot > PARAMS_BYTES || this.batchDispatches >= MAX_BATCH_DISPATCHES) this.flush();
    const encoder = this.open();
    const offset = this.paramsUsed;
    this.paramsUsed += slot;
    this.writeUniforms(p.uniforms, offset, uniforms, def.shader, this.paramsSlab);
    for (const b of buffers) this.lastUse.set(b.buffer, this.batch);
    const bindGroup = this.bindGroup(p, buffers);
    if (!this.pass) this.pass = encoder.beginComputePass();
    this.pass.setPipeline(p.pipeline);
    this.pass.setBindGroup(0, bindGroup, [offset]);
    this.pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.counters.dispatches++;
    this.batchDispatches++;
    this.batchKernels.push(p.name);
  }

  /** The bind group of `buffers` for pipeline `p`: from the cache, or created (and the oldest entry dropped). */
  private bindGroup(p: Pipeline, buffers: ReadonlyArray<GpuData>): GPUBindGroup {
    let key = String(p.index);
    for (const b of buffers) key += `,${this.bufferId(b.buffer)}`;
    let group = this.bindGroups.get(key);
    if (group) {
      // Most recently used last: Map keeps insertion order.
      this.bindGroups.delete(key);
    } else {
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: this.paramsBuffer, offset: 0, size: p.uniforms.size } },
      ];
      buffers.forEach((b, i) => {
        entries.push({ binding: i + 1, resource: { buffer: b.buffer, offset: 0, size: b.capacity } });
      });
      group = this.gpu.createBindGroup({ layout: p.layout, entries });
      this.counters.bindGroupsCreated++;
      if (this.bindGroups.size >= BIND_GROUP_CACHE) this.bindGroups.delete(this.bindGroups.keys().next().value!);
    }
    this.bindGroups.set(key, group);
    return group;
  }

  /** A buffer's serial number (in creation order for pooled buffers): bind-group keys and the pool's order. */
  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(buffer, id);
    }
    return id;
  }

  /** A 2-D grid of at least `count` workgroups within the per-dimension limit. */
  grid(count: number): [number, number, number] {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (count <= max) return [count, 1, 1];
    const y = Math.ceil(count / max);
    if (y > max) throw new Error(`webgpu: ${count} workgroups exceed ${max}² (maxComputeWorkgroupsPerDimension)`);
    return [Math.ceil(count / y), y, 1];
  }

  private writeUniforms(
    layout: UniformLayout,
    offset: number,
    values: Readonly<Record<string, number | readonly number[]>>,
    shader: string,
    slab: UniformSlab,
  ): void {
    const base = offset / 4;
    slab.u32.fill(0, base, base + layout.size / 4);
    for (const f of layout.fields) {
      const v = values[f.name];
      if (v === undefined) throw new Error(`webgpu: ${shader} needs uniform '${f.name}'`);
      const at = base + f.offset / 4;
      if (f.type === 'u8') {
        const arr = v as readonly number[];
        if (arr.length > 8) throw new Error(`webgpu: ${shader} uniform '${f.name}' takes at most 8 values`);
        for (let i = 0; i < arr.length; i++) slab.u32[at + i] = arr[i]! >>> 0;
      } else if (f.type === 'u32') slab.u32[at] = (v as number) >>> 0;
      else if (f.type === 'i32') slab.i32[at] = v as number;
      else slab.f32[at] = v as number;
    }
  }
}

function emptyStorage(dtype: DType): StorageArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(0);
    case 'f16':
      return new Uint16Array(0);
    case 'i32':
      return new Int32Array(0);
    default:
      return new Uint8Array(0);
  }
}

function summarize(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const list = [...counts].map(([n, c]) => (c > 1 ? `${n}×${c}` : n));
  return list.length > 12 ? `${list.slice(0, 12).join(', ')}, …` : list.join(', ') || 'copies';
}

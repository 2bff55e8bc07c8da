/**
 * CudaBackend: the contract's Backend over the native addon. Buffers live on the device in the addon's caching
 * allocator and cross as integer ids; every kernel enqueues on the instance's one stream and returns at once;
 * `read` resolves when the device→host copy's event completes (a worker thread waits on it), `readSync` blocks.
 *
 * Storage: f32, f16/bf16 (raw 16-bit, f32 arithmetic in the kernels), i32, u8. f64 and i64 are not device dtypes:
 * core keeps them off this backend (capabilities.dtypes).
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
  KernelTable,
  StorageArray,
  TensorInfo,
} from '@falcon-h1/core-tensor';
import { BYTES_PER_ELEMENT, sizeOf } from '@falcon-h1/core-tensor';
import {
  type BufferId,
  type CudaAddon,
  type CudaContext,
  type CudaDeviceInfo,
  type CudaDType,
  type CudaMemoryStats,
  DTYPE_CODE,
  isCudaDType,
} from './binding.js';
import { NcclCollectives } from './nccl-collectives.js';
import { registerAllKernels } from './register-all-kernels.js';
import { supportsKernel } from './support.js';

/** The DataId of this backend: the addon's buffer id and its size. */
export interface CudaDataId {
  readonly id: BufferId;
  readonly bytes: number;
  readonly dtype: DType;
  disposed: boolean;
}

const STORAGE: Record<
  CudaDType,
  { name: string; make(buffer: ArrayBuffer): StorageArray; check(v: unknown): boolean }
> = {
  f32: { name: 'Float32Array', make: (b) => new Float32Array(b), check: (v) => v instanceof Float32Array },
  f16: { name: 'Uint16Array', make: (b) => new Uint16Array(b), check: (v) => v instanceof Uint16Array },
  bf16: { name: 'Uint16Array', make: (b) => new Uint16Array(b), check: (v) => v instanceof Uint16Array },
  i32: { name: 'Int32Array', make: (b) => new Int32Array(b), check: (v) => v instanceof Int32Array },
  u8: { name: 'Uint8Array', make: (b) => new Uint8Array(b), check: (v) => v instanceof Uint8Array },
};

export class CudaBackend implements Backend {
  readonly apiVersion = 1;
  readonly name = 'cuda';
  readonly device: string;
  readonly capabilities: BackendCapabilities = {
    dtypes: ['f32', 'f16', 'bf16', 'i32', 'u8'],
    syncReadback: true,
  };
  readonly kernels: KernelTable;
  /** The native context (one stream, one allocator). */
  readonly ctx: CudaContext;
  readonly info: CudaDeviceInfo;
  private disposed = false;

  constructor(addon: CudaAddon, deviceIndex = 0, description?: string) {
    this.ctx = new addon.Context(deviceIndex);
    this.info = this.ctx.info();
    const cc = this.info.computeCapability;
    this.device =
      description ??
      `${this.info.name} (sm_${cc}, ${this.info.multiprocessors} SMs, ${(this.info.totalMemory / 2 ** 30).toFixed(1)} GiB, ${this.info.matmul})`;
    this.kernels = registerAllKernels(this);
  }

  // ------------------------------------------------------------------------------------------ buffers

  write(values: StorageArray, shape: readonly number[], dtype: DType): DataId {
    const d = this.deviceDType(dtype, 'write');
    const size = sizeOf(shape);
    if (!STORAGE[d].check(values)) {
      throw new Error(`write: a ${dtype} tensor takes a ${STORAGE[d].name}, got a ${values.constructor.name}`);
    }
    if (values.length !== size) {
      throw new Error(`write: shape [${shape.join(', ')}] has ${size} elements but ${values.length} values were given`);
    }
    const dataId = this.allocData(size, d);
    if (dataId.bytes > 0) this.ctx.write(dataId.id, values as ArrayBufferView);
    return dataId;
  }

  async read(info: TensorInfo): Promise<StorageArray> {
    const dataId = this.dataIdOf(info);
    const buffer = await this.ctx.read(dataId.id);
    return STORAGE[dataId.dtype as CudaDType].make(buffer);
  }

  readSync(info: TensorInfo): StorageArray {
    const dataId = this.dataIdOf(info);
    return STORAGE[dataId.dtype as CudaDType].make(this.ctx.readSync(dataId.id));
  }

  disposeData(dataId: DataId): void {
    const d = dataId as Partial<CudaDataId>;
    if (typeof d.id !== 'number') throw new Error('disposeData: unknown DataId (not created by this CUDA backend)');
    if (d.disposed) throw new Error(`disposeData: buffer #${d.id} was already disposed (double free)`);
    d.disposed = true;
    if (!this.disposed) this.ctx.free(d.id);
  }

  memory(): BackendMemoryInfo {
    if (this.disposed) return { buffers: 0, bytes: 0 };
    const m = this.ctx.memory();
    return { buffers: m.buffers - this.constants.size, bytes: m.bytes - this.constantBytes };
  }

  /** The allocator's and GEMM engine's counters (bytes reserved/cached, cudaMalloc calls, cuBLASLt calls). */
  stats(): CudaMemoryStats {
    return this.ctx.memory();
  }

  supportsKernel<K extends FusedKernelName>(name: K, inputs: KernelInputs<K>, attrs: KernelAttrs<K>): true | string {
    return supportsKernel(this, name, inputs, attrs);
  }

  /** In-place device copy (core's `overwrite`): target keeps its buffer, so captured graphs see the new values. */
  overwrite(target: TensorInfo, source: TensorInfo): void {
    const to = target.dataId as CudaDataId;
    const from = source.dataId as CudaDataId;
    if (to.bytes !== from.bytes || target.dtype !== source.dtype) {
      throw new Error(`overwrite: ${source.dtype} ${from.bytes} bytes into ${target.dtype} ${to.bytes} bytes`);
    }
    if (to.bytes > 0) this.ctx.Copy(this.id(target), this.id(source), to.bytes);
  }

  /** CUDA Graphs for core's `captureGraph` (see the capture section of native/src/addon.cc). */
  readonly graphs: BackendGraphCapture = {
    begin: () => this.ctx.beginCapture(),
    end: () => this.ctx.endCapture(),
    replay: (graph) => this.ctx.replayGraph(graph),
    release: (graph) => this.ctx.releaseGraph(graph),
  };

  /** NCCL collectives (native/src/nccl.cc; libnccl is loaded at run time, each call throws where it is missing). */
  readonly collectives: NcclCollectives = new NcclCollectives(this);

  async synchronize(): Promise<void> {
    if (!this.disposed) await this.ctx.synchronize();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ctx.dispose();
  }

  // ------------------------------------------------------------------------------------------ for kernels

  private readonly constants = new Map<string, TensorInfo>();
  private constantBytes = 0;

  /**
   * A small f32 table a kernel needs (RoPE's inverse frequencies), uploaded on first use and kept until the backend
   * is disposed: kernels must not upload on every call, which graph capture forbids. Not counted by `memory()`.
   */
  constant(key: string, make: () => Float32Array): TensorInfo {
    let info = this.constants.get(key);
    if (!info) {
      const values = make();
      info = { dataId: this.write(values, [values.length], 'f32'), shape: [values.length], dtype: 'f32' };
      this.constants.set(key, info);
      this.constantBytes += values.byteLength;
    }
    return info;
  }

  /** A new output buffer for a tensor of `shape`/`dtype`. */
  output(shape: readonly number[], dtype: DType): TensorInfo {
    const d = this.deviceDType(dtype, 'output');
    return { dataId: this.allocData(sizeOf(shape), d), shape: [...shape], dtype };
  }

  /** The buffer id behind a tensor (checks that it is alive and belongs to this backend). */
  id(info: TensorInfo): BufferId {
    return this.dataIdOf(info).id;
  }

  /** The buffer id of an optional input, −1 when absent. */
  idOpt(info: TensorInfo | undefined): BufferId {
    return info === undefined ? -1 : this.id(info);
  }

  /** The dtype code of a tensor the device can hold. */
  code(dtype: DType): number {
    return DTYPE_CODE[this.deviceDType(dtype, 'kernel')];
  }

  /** Frees a scratch tensor made with `output` (stream-ordered: safe right after the launch that used it). */
  release(info: TensorInfo): void {
    this.disposeData(info.dataId);
  }

  private allocData(size: number, dtype: CudaDType): CudaDataId {
    if (this.disposed) throw new Error('the CUDA backend was disposed');
    const bytes = size * BYTES_PER_ELEMENT[dtype];
    return { id: this.ctx.alloc(bytes), bytes, dtype, disposed: false };
  }

  private dataIdOf(info: TensorInfo): CudaDataId {
    const d = info.dataId as Partial<CudaDataId>;
    if (typeof d.id !== 'number' || d.bytes === undefined) {
      throw new Error('tensor does not live on the CUDA backend (foreign DataId)');
    }
    if (d.disposed) throw new Error(`buffer #${d.id} was disposed`);
    if (d.dtype !== info.dtype) throw new Error(`tensor says dtype ${info.dtype} but its buffer holds ${d.dtype}`);
    return d as CudaDataId;
  }

  private deviceDType(dtype: DType, what: string): CudaDType {
    if (!isCudaDType(dtype)) {
      throw new Error(`${what}: the CUDA backend does not hold ${dtype} tensors (it holds f32, f16, bf16, i32, u8)`);
    }
    return dtype;
  }
}

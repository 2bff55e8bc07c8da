/**
 * WasmBackend: every kernel of kernel-contract.ts in C with WASM SIMD128 (csrc/), compiled by emscripten into
 * build/ (a single-threaded build and a pthreads build with a persistent pool).
 *
 * Memory: each tensor is one block of the wasm heap, allocated with the heap's malloc (dlmalloc: binned free
 * lists, freed blocks reused; the heap grows up to 4 GB and never shrinks). Kernels receive heap pointers —
 * nothing is copied per kernel call. `disposeData` (called by core's dispose/scope machinery when the last
 * tensor of a buffer goes) frees the block; a second free of the same buffer throws.
 *
 * 16-bit floats are converted on load: a bf16 or f16 tensor is held in compute form — f32 values exactly
 * representable in its dtype — so every kernel runs the f32 code and rounds what it stores to the output's
 * dtype once (the contract's rounding rule). `write` widens the raw bits, `read` narrows them back (exactly).
 * The cost is 4 bytes per element instead of 2; the gain is one code path per kernel, tested in every dtype.
 */
import type {
  Backend,
  BackendCapabilities,
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
import { dtypeCode, elementBytes, isFloat, WASM_DTYPES } from './dtype-codes.js';
import { registerAllKernels } from './register-all-kernels.js';
import { sizeOf } from './shape.js';
import type { FalconWasmModule, WasmBuild } from './wasm-module.js';

/** The backend's DataId: one heap block. */
export class WasmBuffer {
  constructor(
    readonly id: number,
    readonly ptr: number,
    readonly bytes: number,
    readonly dtype: DType,
    readonly size: number,
  ) {}
}

/** The typed array class of each dtype's storage form (what `write` accepts). */
const STORAGE: Record<string, { readonly name: string; [Symbol.hasInstance](value: unknown): boolean }> = {
  f32: Float32Array,
  f16: Uint16Array,
  bf16: Uint16Array,
  i32: Int32Array,
  u8: Uint8Array,
};

const MAX_HEAP = 2 ** 32;

export class WasmBackend implements Backend {
  readonly apiVersion = 1;
  readonly name = 'wasm';
  readonly device: string;
  readonly capabilities: BackendCapabilities;
  readonly kernels: KernelTable;
  /** The build that runs ('simd': single-threaded; 'threads': the pthread pool). */
  readonly build: WasmBuild;
  /** Threads kernels run on (1 in the single-threaded build). */
  readonly threads: number;

  private readonly live = new Set<WasmBuffer>();
  private readonly issued = new WeakSet<WasmBuffer>();
  private liveBytes = 0;
  private nextId = 1;
  private argsPtr = 0;
  private argsCapacity = 0;
  private heapBuffer: ArrayBufferLike | undefined;
  private u8v: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private i32v: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private f32v: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private u16v: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  /** Buffers allocated by the kernel call in progress (freed if it throws). */
  private pending: WasmBuffer[] = [];
  private disposed = false;

  constructor(
    readonly m: FalconWasmModule,
    build: WasmBuild,
    runtime: string,
  ) {
    this.build = build;
    this.threads = m._fh_pool_size();
    this.device =
      build === 'threads'
        ? `WASM SIMD128 + threads (${this.threads} threads, ${runtime})`
        : `WASM SIMD128, single-threaded (${runtime})`;
    this.capabilities = { dtypes: WASM_DTYPES, syncReadback: true, maxBufferBytes: MAX_HEAP - 2 ** 26 };
    this.kernels = registerAllKernels(this);
    this.reserveArgs(256);
  }

  // ------------------------------------------------------------------------------------------ heap views

  /** Current views of the heap (renewed after the memory grows). */
  heap(): {
    u8: Uint8Array<ArrayBufferLike>;
    i32: Int32Array<ArrayBufferLike>;
    f32: Float32Array<ArrayBufferLike>;
    u16: Uint16Array<ArrayBufferLike>;
  } {
    const buffer = this.m.wasmMemory ? this.m.wasmMemory.buffer : this.m.HEAPU8.buffer;
    if (buffer !== this.heapBuffer) {
      this.heapBuffer = buffer;
      this.u8v = new Uint8Array(buffer);
      this.i32v = new Int32Array(buffer);
      this.f32v = new Float32Array(buffer);
      this.u16v = new Uint16Array(buffer);
    }
    return { u8: this.u8v, i32: this.i32v, f32: this.f32v, u16: this.u16v };
  }

  /** malloc with a clear error when the 4 GB heap cannot hold the block. */
  malloc(bytes: number): number {
    this.assertUsable();
    const ptr = this.m._malloc(Math.max(bytes, 16)) >>> 0;
    if (ptr === 0) {
      const heapBytes = this.heap().u8.byteLength;
      throw new Error(
        `wasm backend: out of memory allocating ${bytes} bytes (${this.live.size} live tensors hold ${this.liveBytes} bytes; heap ${heapBytes} of at most ${MAX_HEAP} bytes)`,
      );
    }
    return ptr;
  }

  free(ptr: number): void {
    this.m._free(ptr);
  }

  /** Writes int32 arguments (shape/info blocks) into the reusable argument area; returns its pointer. */
  args(values: readonly number[]): number {
    if (values.length > this.argsCapacity) this.reserveArgs(values.length);
    const i32 = this.heap().i32;
    const at = this.argsPtr >>> 2;
    for (let i = 0; i < values.length; i++) i32[at + i] = values[i]!;
    return this.argsPtr;
  }

  private reserveArgs(count: number): void {
    if (this.argsPtr) this.m._free(this.argsPtr);
    this.argsCapacity = Math.max(count, 256);
    this.argsPtr = this.malloc(this.argsCapacity * 4);
  }

  // ------------------------------------------------------------------------------------------ buffers

  private register(ptr: number, bytes: number, dtype: DType, size: number): WasmBuffer {
    const buffer = new WasmBuffer(this.nextId++, ptr, bytes, dtype, size);
    this.live.add(buffer);
    this.issued.add(buffer);
    this.liveBytes += bytes;
    return buffer;
  }

  /** A new uninitialised buffer for a tensor of `shape`/`dtype` (owned by the kernel call in progress). */
  allocate(shape: readonly number[], dtype: DType): { info: TensorInfo; ptr: number } {
    dtypeCode(dtype);
    const size = sizeOf(shape);
    const bytes = size * elementBytes(dtype);
    const buffer = this.register(this.malloc(bytes), bytes, dtype, size);
    this.pending.push(buffer);
    return { info: { dataId: buffer, shape: [...shape], dtype }, ptr: buffer.ptr };
  }

  /** The heap pointer of a live tensor (checks that the buffer belongs to this backend and matches the tensor). */
  ptr(info: TensorInfo): number {
    const buffer = info.dataId as WasmBuffer;
    if (!(buffer instanceof WasmBuffer) || !this.issued.has(buffer)) {
      throw new Error('wasm backend: a tensor whose buffer was not created by this backend');
    }
    if (!this.live.has(buffer)) throw new Error(`wasm backend: buffer #${buffer.id} was already disposed`);
    if (buffer.dtype !== info.dtype) {
      throw new Error(`wasm backend: tensor says dtype ${info.dtype} but its buffer holds ${buffer.dtype}`);
    }
    if (buffer.size !== sizeOf(info.shape)) {
      throw new Error(
        `wasm backend: tensor shape [${info.shape.join(', ')}] does not match its buffer of ${buffer.size}`,
      );
    }
    return buffer.ptr;
  }

  /** The pointer of an optional input, 0 when absent. */
  optionalPtr(info: TensorInfo | undefined): number {
    return info ? this.ptr(info) : 0;
  }

  /** Runs one kernel call: buffers it allocated are freed again if it throws. */
  run<T>(call: () => T): T {
    const mark = this.pending.length;
    try {
      const result = call();
      this.pending.length = mark;
      return result;
    } catch (error) {
      for (const buffer of this.pending.splice(mark)) this.release(buffer);
      throw error;
    }
  }

  write(values: StorageArray, shape: readonly number[], dtype: DType): DataId {
    this.assertUsable();
    const code = dtypeCode(dtype);
    const size = sizeOf(shape);
    const expected = STORAGE[dtype]!;
    if (!(values instanceof expected)) {
      throw new Error(`write: a ${dtype} tensor takes a ${expected.name}, got a ${values.constructor.name}`);
    }
    if (values.length !== size) {
      throw new Error(`write: shape [${shape.join(', ')}] has ${size} elements but ${values.length} values were given`);
    }
    const bytes = size * elementBytes(dtype);
    const ptr = this.malloc(bytes);
    const heap = this.heap();
    if (dtype === 'f32') heap.f32.set(values as Float32Array, ptr >>> 2);
    else if (dtype === 'i32') heap.i32.set(values as Int32Array, ptr >>> 2);
    else if (dtype === 'u8') heap.u8.set(values as Uint8Array, ptr);
    else {
      // 16-bit floats: stage the bits in the upper half-free block, widen in C.
      const staging = this.malloc(size * 2);
      this.heap().u16.set(values as Uint16Array, staging >>> 1);
      this.m._fh_widen16(ptr, staging, size, code);
      this.m._free(staging);
    }
    return this.register(ptr, bytes, dtype, size);
  }

  readSync(info: TensorInfo): StorageArray {
    const ptr = this.ptr(info);
    const n = sizeOf(info.shape);
    const heap = this.heap();
    switch (info.dtype) {
      case 'f32':
        return heap.f32.slice(ptr >>> 2, (ptr >>> 2) + n);
      case 'i32':
        return heap.i32.slice(ptr >>> 2, (ptr >>> 2) + n);
      case 'u8':
        return heap.u8.slice(ptr, ptr + n);
      default: {
        const staging = this.malloc(n * 2);
        this.m._fh_narrow16(staging, ptr, n, dtypeCode(info.dtype));
        const out = this.heap().u16.slice(staging >>> 1, (staging >>> 1) + n);
        this.m._free(staging);
        return out;
      }
    }
  }

  read(info: TensorInfo): Promise<StorageArray> {
    return Promise.resolve().then(() => this.readSync(info));
  }

  disposeData(dataId: DataId): void {
    const buffer = dataId as WasmBuffer;
    if (this.live.has(buffer)) {
      this.release(buffer);
      return;
    }
    if (buffer instanceof WasmBuffer && this.issued.has(buffer)) {
      throw new Error(`disposeData: buffer #${buffer.id} was already disposed (double free)`);
    }
    throw new Error('disposeData: unknown DataId (not created by this wasm backend)');
  }

  private release(buffer: WasmBuffer): void {
    if (!this.live.delete(buffer)) return;
    this.liveBytes -= buffer.bytes;
    if (!this.disposed) this.m._free(buffer.ptr);
  }

  memory(): BackendMemoryInfo {
    return { buffers: this.live.size, bytes: this.liveBytes };
  }

  /** Bytes of the wasm heap (live tensors, free blocks kept by the allocator, stacks and code). */
  heapBytes(): number {
    return this.heap().u8.byteLength;
  }

  supportsKernel<K extends FusedKernelName>(name: K, inputs: KernelInputs<K>, attrs: KernelAttrs<K>): true | string {
    void attrs;
    if (name === 'Attention' || name === 'AttentionGrad') {
      const { q, v } = inputs as KernelInputs<'Attention'>;
      if (q.shape[3]! > 1024 || v.shape[3]! > 1024) return 'head dims above 1024 are not supported';
    }
    for (const value of Object.values(inputs as Record<string, TensorInfo | undefined>)) {
      if (value && !isFloat(value.dtype) && value.dtype !== 'i32') return `dtype ${value.dtype} is not supported`;
    }
    return true;
  }

  /** Frees every buffer and stops the thread pool; the backend is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.live.clear();
    this.liveBytes = 0;
    this.m.PThread?.terminateAllThreads();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('wasm backend: used after dispose()');
  }
}

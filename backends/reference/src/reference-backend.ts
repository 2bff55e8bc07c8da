/**
 * ReferenceBackend: the project's float64 oracle. Every kernel of kernel-contract.ts — all primitives, all fused
 * kernels forward and backward, AdamW — written as plain, readable TypeScript (llm.c style: forward and backward
 * side by side, outputs then inputs then dims, shape comments), computing in f64 and rounding once per stored
 * element to the tensor's dtype. Slow on purpose; every other backend is checked against it.
 *
 * Memory (BufferStore): float tensors are held as Float64Array values exactly representable in their dtype;
 * `write` copies, `read`/`readSync` return fresh copies in storage form, `disposeData` frees exactly once.
 * Runs in Node and in browsers (no Node API is required).
 */
import type {
  Backend,
  BackendCapabilities,
  BackendMemoryInfo,
  DataId,
  DType,
  StorageArray,
  TensorInfo,
} from '@falcon-h1/core-tensor';
import { BufferStore } from './buffer-store.js';
import { type CompleteKernelTable, registerAllKernels } from './register-all-kernels.js';

function describeRuntime(): string {
  const runtime = globalThis as { process?: { versions?: { node?: string } } };
  const node = runtime.process?.versions?.node;
  return node ? `Node ${node}` : 'JS';
}

export class ReferenceBackend implements Backend {
  readonly apiVersion = 1;
  readonly name = 'reference';
  readonly device = `reference (TypeScript float64, ${describeRuntime()})`;
  readonly capabilities: BackendCapabilities = {
    dtypes: ['f64', 'f32', 'f16', 'bf16', 'i32', 'u8', 'i64'],
    syncReadback: true,
  };
  readonly kernels: CompleteKernelTable;
  private readonly store = new BufferStore();

  constructor() {
    this.kernels = registerAllKernels(this.store);
  }

  write(values: StorageArray, shape: readonly number[], dtype: DType): DataId {
    return this.store.write(values, shape, dtype);
  }

  read(info: TensorInfo): Promise<StorageArray> {
    return Promise.resolve().then(() => this.store.read(info));
  }

  readSync(info: TensorInfo): StorageArray {
    return this.store.read(info);
  }

  disposeData(dataId: DataId): void {
    this.store.dispose(dataId);
  }

  memory(): BackendMemoryInfo {
    return this.store.memory();
  }

  /** Releases every buffer (the contract allows no further use of the backend). */
  dispose(): void {
    this.store.disposeAll();
  }
}

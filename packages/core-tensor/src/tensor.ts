/**
 * Tensor and Variable.
 *
 * A Tensor is an immutable, dense, contiguous, row-major array living on one backend. Views (reshape) share the
 * backend buffer; the engine reference-counts buffers, so a buffer is freed when its last tensor is disposed.
 * A Variable is a mutable holder of model state (parameters, optimizer moments): it is not owned by any scope,
 * owns its buffer exclusively (so in-place optimizer kernels are safe), and `assign` copies into it.
 */
import type { DType, ValueArray, ValueArrayMap } from './dtype.js';
import { ENGINE } from './engine.js';
import type { Backend, DataId } from './kernel-contract.js';

let nextTensorId = 0;

export class Tensor<D extends DType = DType> {
  /** Unique per tensor object (never reused). */
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: D;
  readonly size: number;
  /** @internal The backend that owns the buffer. */
  backend: Backend;
  /** @internal The backend buffer (shared by views). */
  dataId: DataId;
  /** @internal Set by `dispose()`. */
  isDisposedInternal = false;
  /** @internal Tensors marked with `keep()` survive the scope they were made in. */
  kept = false;
  /** @internal Number of gradient tapes that saved this tensor for backward. */
  tapeHolds = 0;

  constructor(shape: readonly number[], dtype: D, dataId: DataId, backend: Backend) {
    this.id = nextTensorId++;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = shape.reduce((a, b) => a * b, 1);
    this.dataId = dataId;
    this.backend = backend;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.isDisposedInternal;
  }

  /** Downloads the values (16-bit floats widened to f32). Works on every backend. */
  data(): Promise<ValueArrayMap[D]> {
    return ENGINE.read(this) as Promise<ValueArrayMap[D]>;
  }

  /** Synchronous download, on backends with `capabilities.syncReadback` (throws on the others). */
  dataSync(): ValueArrayMap[D] {
    return ENGINE.readSync(this) as ValueArrayMap[D];
  }

  /** Nested arrays of numbers (for small tensors and tests). */
  async array(): Promise<unknown> {
    return toNested(await this.data(), this.shape);
  }

  dispose(): void {
    ENGINE.disposeTensor(this);
  }

  toString(): string {
    return `Tensor(${this.dtype}[${this.shape.join(', ')}] on ${this.backend.name})`;
  }
}

/** Mutable model state: survives scopes; `assign` replaces its contents with another tensor's. */
export class Variable<D extends DType = DType> extends Tensor<D> {
  readonly name: string;
  trainable: boolean;

  constructor(initial: Tensor<D>, name: string, trainable: boolean) {
    super(initial.shape, initial.dtype, initial.dataId, initial.backend);
    this.name = name;
    this.trainable = trainable;
  }

  /** Replaces the contents with a copy of `value` (same shape and dtype). */
  assign(value: Tensor<D>): void {
    ENGINE.assignVariable(this, value);
  }
}

function toNested(values: ValueArray, shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const [first, ...rest] = shape;
  const stride = rest.reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let i = 0; i < first!; i++)
    out.push(toNested(values.subarray(i * stride, (i + 1) * stride) as ValueArray, rest));
  return out;
}

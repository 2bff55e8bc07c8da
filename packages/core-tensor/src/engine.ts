/**
 * The engine: runs kernels on the tensors' backend, owns tensor lifetimes (scopes, reference-counted buffers,
 * leak counts) and records operations on gradient tapes.
 *
 * Memory rules (the same on CPU, WebGPU and CUDA):
 *  - every tensor made inside `tidy(fn)` is disposed when fn returns, except the tensors fn returns (they move to
 *    the enclosing scope) and tensors marked with `keep()`;
 *  - tensors made outside any scope are the caller's to `dispose()`;
 *  - a buffer is freed when the last tensor viewing it is disposed (views come from reshape);
 *  - a tensor saved by a live gradient tape outlives its scope until the tape is released.
 * `memory()` reports live tensors and buffers; tests assert it returns to its starting value.
 */
import { getBackend } from './backend-registry.js';
import { type DType, isFloatDType, type StorageArray, type ValueArray } from './dtype.js';
import { bf16ArrayToF32, f16ArrayToF32 } from './half.js';
import type {
  Backend,
  BackendMemoryInfo,
  DataId,
  KernelAttrs,
  KernelInputs,
  KernelName,
  KernelOutputs,
  TensorInfo,
} from './kernel-contract.js';
import { Tensor, Variable } from './tensor.js';

/** Kernel inputs with Tensors in place of TensorInfos. */
export type AsTensor<T> = T extends TensorInfo ? Tensor : T extends readonly TensorInfo[] ? Tensor[] : T;
export type TensorInputs<K extends KernelName> = { [P in keyof KernelInputs<K>]: AsTensor<KernelInputs<K>[P]> };
export type TensorOutputs<K extends KernelName> =
  KernelOutputs<K> extends TensorInfo
    ? Tensor
    : KernelOutputs<K> extends undefined
      ? undefined
      : { [P in keyof KernelOutputs<K>]: AsTensor<KernelOutputs<K>[P]> };

/** One recorded operation: enough to run its gradient. Single-output operations use the output key 'out'. */
export interface TapeNode {
  readonly name: string;
  readonly inputs: Readonly<Record<string, Tensor | Tensor[] | undefined>>;
  readonly outputs: Readonly<Record<string, Tensor | undefined>>;
  readonly attrs: unknown;
  readonly gradFunc: GradFunc;
}

/**
 * Computes input gradients from output gradients (undefined where an output got none). Returns a gradient per
 * differentiable input key (an array for array inputs); omitted keys mean "no gradient". `needs(key)` says whether
 * backprop will use that input's gradient (the input depends on what the tape watches): a gradient may skip the
 * work for the others — a constant operand (a mask, a μP vector, a frozen weight) — and return undefined for them.
 * Called without it, every input's gradient is wanted.
 */
export type GradFunc = (
  dys: Readonly<Record<string, Tensor | undefined>>,
  node: TapeNode,
  needs?: (key: string) => boolean,
) => Record<string, Tensor | (Tensor | undefined)[] | undefined>;

/** A gradient tape: the operations whose inputs depend on the watched tensors. */
export interface Tape {
  readonly watched: Set<number>;
  readonly nodes: TapeNode[];
  readonly held: Tensor[];
}

interface Scope {
  readonly name: string;
  readonly tensors: Set<Tensor>;
}

interface BufferRecord {
  refCount: number;
  readonly backend: Backend;
}

export interface MemoryInfo {
  /** Live (undisposed) tensors, variables included. */
  readonly numTensors: number;
  /** Live backend buffers across backends. */
  readonly numBuffers: number;
  /** Per backend, what the backend itself reports. */
  readonly backends: Readonly<Record<string, BackendMemoryInfo>>;
}

const gradients = new Map<string, GradFunc>();

/** Registers the gradient of a kernel (one `<Kernel>.grad.ts` per kernel calls this). */
export function registerGradient(kernelName: KernelName, gradFunc: GradFunc): void {
  gradients.set(kernelName, gradFunc);
}

export function getGradient(kernelName: string): GradFunc | undefined {
  return gradients.get(kernelName);
}

class Engine {
  private readonly scopes: Scope[] = [];
  private readonly buffers = new Map<DataId, BufferRecord>();
  private liveTensors = 0;
  /** Tapes currently recording (innermost last). */
  readonly tapes: Tape[] = [];
  /** Tensors whose scope ended while a tape held them: disposed when the last tape lets go. */
  private readonly orphans = new Set<Tensor>();

  // ---------------------------------------------------------------- tensors and buffers

  /** Wraps a backend buffer in a new tensor registered in the current scope. */
  makeTensor(info: TensorInfo, backend: Backend): Tensor {
    const record = this.buffers.get(info.dataId);
    if (record) record.refCount++;
    else this.buffers.set(info.dataId, { refCount: 1, backend });
    const tensor = new Tensor(info.shape, info.dtype, info.dataId, backend);
    this.liveTensors++;
    this.track(tensor);
    return tensor;
  }

  /** Uploads storage-form values to a backend (the current one by default). */
  fromStorage(values: StorageArray, shape: readonly number[], dtype: DType, backend: Backend = getBackend()): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw new Error(`tensor of shape [${shape.join(', ')}] needs ${size} values, got ${values.length}`);
    }
    if (!backend.capabilities.dtypes.includes(dtype)) {
      throw new Error(`backend '${backend.name}' does not support dtype ${dtype}`);
    }
    return this.makeTensor({ dataId: backend.write(values, shape, dtype), shape, dtype }, backend);
  }

  /** A new tensor viewing the same buffer with another shape (no data movement). */
  makeView(source: Tensor, shape: readonly number[]): Tensor {
    this.assertLive(source);
    return this.makeTensor({ dataId: source.dataId, shape, dtype: source.dtype }, source.backend);
  }

  makeVariable<D extends DType>(initial: Tensor<D>, name: string, trainable: boolean): Variable<D> {
    this.assertLive(initial);
    // A variable owns its buffer exclusively (AdamW updates it in place), so it starts from a copy.
    const copied = initial.backend.kernels.Copy({ x: initial }, {});
    this.buffers.set(copied.dataId, { refCount: 1, backend: initial.backend });
    const variable = new Variable(initial, name, trainable);
    variable.dataId = copied.dataId;
    this.liveTensors++;
    return variable;
  }

  /** Copies value's contents into the variable (which keeps exclusive ownership of its buffer). */
  assignVariable<D extends DType>(variable: Variable<D>, value: Tensor<D>): void {
    this.assertLive(variable);
    this.assertLive(value);
    if (value.dtype !== variable.dtype || value.shape.join(',') !== variable.shape.join(',')) {
      throw new Error(
        `cannot assign ${value.dtype}[${value.shape.join(', ')}] to variable '${variable.name}' of ${variable.dtype}[${variable.shape.join(', ')}]`,
      );
    }
    if (value.backend !== variable.backend) {
      throw new Error(`cannot assign a tensor on '${value.backend.name}' to a variable on '${variable.backend.name}'`);
    }
    if (value.dataId === variable.dataId) return;
    // A variable owns its buffer exclusively (AdamW updates it in place), so assignment copies.
    const copied = variable.backend.kernels.Copy({ x: value }, {});
    this.buffers.set(copied.dataId, { refCount: 1, backend: variable.backend });
    this.releaseBuffer(variable.dataId);
    variable.dataId = copied.dataId;
  }

  disposeTensor(tensor: Tensor): void {
    if (tensor.isDisposedInternal) return;
    if (tensor.tapeHolds > 0) {
      this.orphans.add(tensor);
      return;
    }
    tensor.isDisposedInternal = true;
    this.liveTensors--;
    this.orphans.delete(tensor);
    for (const scope of this.scopes) scope.tensors.delete(tensor);
    this.releaseBuffer(tensor.dataId);
  }

  private releaseBuffer(dataId: DataId): void {
    const record = this.buffers.get(dataId);
    if (!record) throw new Error('internal error: releasing an unknown buffer');
    record.refCount--;
    if (record.refCount === 0) {
      this.buffers.delete(dataId);
      record.backend.disposeData(dataId);
    }
  }

  assertLive(tensor: Tensor): void {
    if (tensor.isDisposedInternal) throw new Error(`${tensor.toString()} was used after it was disposed`);
  }

  memory(): MemoryInfo {
    const backends: Record<string, BackendMemoryInfo> = {};
    for (const record of this.buffers.values()) backends[record.backend.name] ??= record.backend.memory();
    return { numTensors: this.liveTensors, numBuffers: this.buffers.size, backends };
  }

  // ---------------------------------------------------------------- readback

  async read(tensor: Tensor): Promise<ValueArray> {
    this.assertLive(tensor);
    return storageToValues(await tensor.backend.read(tensor), tensor.dtype);
  }

  readSync(tensor: Tensor): ValueArray {
    this.assertLive(tensor);
    const backend = tensor.backend;
    if (!backend.readSync || !backend.capabilities.syncReadback) {
      throw new Error(`backend '${backend.name}' has no synchronous readback: use 'await tensor.data()'`);
    }
    return storageToValues(backend.readSync(tensor), tensor.dtype);
  }

  // ---------------------------------------------------------------- scopes

  startScope(name = 'scope'): void {
    this.scopes.push({ name, tensors: new Set() });
  }

  /** Ends the innermost scope: disposes its tensors except `result` tensors (moved to the parent) and kept ones. */
  endScope(result?: unknown): void {
    const scope = this.scopes.pop();
    if (!scope) throw new Error('endScope() without a matching startScope()');
    const survivors = new Set<Tensor>();
    collectTensors(result, survivors);
    const parent = this.scopes[this.scopes.length - 1];
    for (const tensor of scope.tensors) {
      if (survivors.has(tensor)) {
        parent?.tensors.add(tensor);
      } else if (!tensor.kept) {
        this.disposeTensor(tensor);
      }
    }
  }

  tidy<T>(fn: () => T, name = 'tidy'): T {
    this.startScope(name);
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.endScope();
      throw error;
    }
    if (result instanceof Promise) {
      this.endScope();
      throw new Error('tidy() does not take an async function: scopes would end before the promise resolves');
    }
    this.endScope(result);
    return result;
  }

  keep<T extends Tensor>(tensor: T): T {
    tensor.kept = true;
    return tensor;
  }

  private track(tensor: Tensor): void {
    this.scopes[this.scopes.length - 1]?.tensors.add(tensor);
  }

  // ---------------------------------------------------------------- kernels

  /** Runs a kernel on the backend that holds its inputs (the current backend when it has no tensor inputs). */
  runKernel<K extends KernelName>(
    name: K,
    inputs: TensorInputs<K>,
    attrs: KernelAttrs<K>,
    onBackend?: Backend,
  ): TensorOutputs<K> {
    const inputTensors = flattenInputs(inputs as Record<string, Tensor | Tensor[] | undefined>);
    const backend = this.backendOf(name, inputTensors, onBackend);
    const kernel = backend.kernels[name] as ((i: unknown, a: unknown) => unknown) | undefined;
    if (!kernel) throw new Error(`backend '${backend.name}' has no kernel ${name}`);
    const raw = kernel(inputs, attrs);
    if (raw === undefined) return undefined as TensorOutputs<K>;
    let outputs: Record<string, Tensor | undefined>;
    let result: unknown;
    if (isTensorInfo(raw)) {
      const tensor = this.makeTensor(raw, backend);
      outputs = { out: tensor };
      result = tensor;
    } else {
      outputs = {};
      for (const [key, info] of Object.entries(raw as Record<string, TensorInfo | undefined>)) {
        outputs[key] = info ? this.makeTensor(info, backend) : undefined;
      }
      result = outputs;
    }
    const gradFunc = gradients.get(name);
    if (gradFunc) this.record(name, inputs as Record<string, Tensor | Tensor[] | undefined>, outputs, attrs, gradFunc);
    return result as TensorOutputs<K>;
  }

  private backendOf(name: string, inputs: Tensor[], onBackend?: Backend): Backend {
    if (inputs.length === 0) return onBackend ?? getBackend();
    const backend = inputs[0]!.backend;
    if (onBackend && onBackend !== backend) {
      throw new Error(`${name}: inputs live on '${backend.name}', not on the requested '${onBackend.name}'`);
    }
    for (const tensor of inputs) {
      this.assertLive(tensor);
      if (tensor.backend !== backend) {
        throw new Error(`${name}: inputs live on different backends ('${backend.name}' and '${tensor.backend.name}')`);
      }
    }
    return backend;
  }

  // ---------------------------------------------------------------- tapes

  /**
   * Records an operation on every recording tape that watches one of its inputs (its outputs become watched).
   * Also used for operations that are not kernels (reshape) with their own gradient.
   */
  record(
    name: string,
    inputs: Readonly<Record<string, Tensor | Tensor[] | undefined>>,
    outputs: Readonly<Record<string, Tensor | undefined>>,
    attrs: unknown,
    gradFunc: GradFunc,
  ): void {
    if (this.tapes.length === 0) return;
    const inputTensors = flattenInputs(inputs);
    const outputTensors = Object.values(outputs).filter((t): t is Tensor => t !== undefined && isFloatDType(t.dtype));
    if (outputTensors.length === 0) return;
    for (const tape of this.tapes) {
      if (!inputTensors.some((t) => tape.watched.has(t.id))) continue;
      tape.nodes.push({ name, inputs, outputs, attrs, gradFunc });
      for (const t of outputTensors) tape.watched.add(t.id);
      for (const t of [...inputTensors, ...outputTensors]) {
        t.tapeHolds++;
        tape.held.push(t);
      }
    }
  }

  pushTape(watch: readonly Tensor[]): Tape {
    const tape: Tape = { watched: new Set(watch.map((t) => t.id)), nodes: [], held: [] };
    this.tapes.push(tape);
    return tape;
  }

  popTape(tape: Tape): void {
    const index = this.tapes.lastIndexOf(tape);
    if (index < 0) throw new Error('internal error: popping a tape that is not recording');
    this.tapes.splice(index, 1);
  }

  /** Lets go of the tensors a tape saved; those whose scope already ended are disposed now. */
  releaseTape(tape: Tape): void {
    for (const tensor of tape.held) {
      tensor.tapeHolds--;
      if (tensor.tapeHolds === 0 && this.orphans.has(tensor)) {
        this.orphans.delete(tensor);
        this.disposeTensor(tensor);
      }
    }
    tape.held.length = 0;
    tape.nodes.length = 0;
  }

  /** Runs fn with no tape recording (gradient computations, optimizer steps). */
  noGrad<T>(fn: () => T): T {
    const saved = this.tapes.splice(0, this.tapes.length);
    try {
      return fn();
    } finally {
      this.tapes.push(...saved);
    }
  }
}

function isTensorInfo(value: unknown): value is TensorInfo {
  return typeof value === 'object' && value !== null && 'dataId' in value && 'shape' in value && 'dtype' in value;
}

function flattenInputs(inputs: Readonly<Record<string, Tensor | Tensor[] | undefined>>): Tensor[] {
  const out: Tensor[] = [];
  for (const value of Object.values(inputs)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
  }
  return out;
}

function collectTensors(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    into.add(value);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, into, depth + 1);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, into, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into, depth + 1);
  }
}

/** Storage form → user-facing values (16-bit floats widened losslessly to f32). */
export function storageToValues(storage: StorageArray, dtype: DType): ValueArray {
  if (dtype === 'bf16') return bf16ArrayToF32(storage as Uint16Array);
  if (dtype === 'f16') return f16ArrayToF32(storage as Uint16Array);
  return storage as ValueArray;
}

/** The process-wide engine. */
export const ENGINE = new Engine();
export type { Engine };

export const tidy = <T>(fn: () => T, name?: string): T => ENGINE.tidy(fn, name);
export const keep = <T extends Tensor>(tensor: T): T => ENGINE.keep(tensor);
export const memory = (): MemoryInfo => ENGINE.memory();
export const noGrad = <T>(fn: () => T): T => ENGINE.noGrad(fn);

/** Disposes every tensor found in a value (tensor, array, plain object or Map of tensors). */
export function dispose(value: unknown): void {
  const found = new Set<Tensor>();
  collectTensors(value, found);
  for (const tensor of found) tensor.dispose();
}

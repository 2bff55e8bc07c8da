/**
 * binding.ts — a hand-typed mirror of the native addon (native/src/addon.cc), as tfjs-node's and onnxruntime-node's
 * bindings are. Buffers cross the boundary as integer ids (−1 for an absent optional input); dtypes as DTYPE_CODE.
 * Every kernel method is named after its contract kernel and only enqueues work on the backend's stream.
 */
import type { DType } from '@falcon-h1/core-tensor';

/** A buffer handle of one Context; −1 stands for an absent optional input. */
export type BufferId = number;

/** The storage dtypes the addon knows (native/src/fh.h `DType`). */
export type CudaDType = 'f32' | 'f16' | 'bf16' | 'i32' | 'u8';

export const DTYPE_CODE: Readonly<Record<CudaDType, number>> = { f32: 0, f16: 1, bf16: 2, i32: 3, u8: 4 };

export const CUDA_DTYPES: readonly CudaDType[] = ['f32', 'f16', 'bf16', 'i32', 'u8'];

export function isCudaDType(dtype: DType): dtype is CudaDType {
  return (CUDA_DTYPES as readonly string[]).includes(dtype);
}

/** `probe()`: whether a device is usable (never throws). */
export interface CudaProbe {
  ok: boolean;
  devices: number;
  reason?: string;
  /** cudaRuntimeGetVersion / cudaDriverGetVersion, e.g. 13000 (0 when no driver is installed). */
  runtimeVersion: number;
  driverVersion: number;
  /** e.g. 'cuBLASLt 130101' or 'fallback GEMM (built without cuBLASLt)'. */
  matmul: string;
}

export interface CudaMemoryStats {
  /** Live buffers and their bytes (what the backend's memory() reports). */
  buffers: number;
  bytes: number;
  peakBytes: number;
  /** Device memory held from CUDA, and the part of it cached in the allocator's free lists. */
  reservedBytes: number;
  cachedBytes: number;
  mallocCalls: number;
  reuses: number;
  /**
   * MatMul calls served by cuBLASLt, by the fallback kernel, by the decode-step matrix-vector kernel (M ≤ 8) and by
   * the tensor-core skinny GEMM (9–64 rows, f16/bf16).
   */
  gemmCublasLt: number;
  gemmFallback: number;
  gemmMatVec: number;
  /**
   * Of gemmMatVec, the launches that load their weight before the Programmatic-Dependent-Launch wait (sm_90+,
   * native/kernels/pdl_launch.cuh). Counted when launched or captured, not per graph replay.
   */
  gemmMatVecPrefetch: number;
  gemmSkinny: number;
  /**
   * SsmDecodeStep launches (ParallelMixersDecodeStep's SSM half included) that read their conv windows, conv weights
   * and bias and dt's bias, A and D before the Programmatic-Dependent-Launch wait: only when the stream's previous
   * kernel writes none of them. Counted when launched or captured.
   */
  ssmDecodeEarlyParameters: number;
}

export interface CudaDeviceInfo {
  device: number;
  name: string;
  /** e.g. 90 for sm_90. */
  computeCapability: number;
  multiprocessors: number;
  totalMemory: number;
  /** Opt-in shared memory per block, bytes. */
  maxSharedPerBlock: number;
  matmul: string;
  /**
   * Whether decode-path kernels use Programmatic Dependent Launch: compute capability ≥ 9.0 unless
   * FALCON_H1_CUDA_PDL=off (A/B runs).
   */
  pdl: boolean;
}

type Id = BufferId;
type Code = number;
type UnaryFn = (out: Id, x: Id, dtype: Code, n: number) => void;
type BinaryFn = (
  out: Id,
  a: Id,
  b: Id,
  dtype: Code,
  n: number,
  shape: number[],
  aStrides: number[],
  bStrides: number[],
) => void;
type ReduceFn = (
  out: Id,
  x: Id,
  dtype: Code,
  outCount: number,
  keptShape: number[],
  keptStrides: number[],
  redCount: number,
  redShape: number[],
  redStrides: number[],
) => void;
/** Slice, Transpose and Concat are one strided copy (elements of elemSize bytes; strides and offsets in elements). */
type StridedCopyFn = (
  dst: Id,
  src: Id,
  elemSize: number,
  shape: number[],
  srcStrides: number[],
  srcOffset: number,
  dstStrides: number[],
  dstOffset: number,
) => void;

/** One backend instance: a device, a stream, a caching allocator and a buffer table. */
/** The Mamba2 decode step's dtype and sizes, as SsmDecodeStep and ParallelMixersDecodeStep take them. */
type SsmStepSizes = [dtype: Code, B: number, H: number, P: number, G: number, N: number, K: number, convSilu: boolean];

export interface CudaContext {
  alloc(bytes: number): Id;
  free(id: Id): void;
  /** Uploads a typed array whose byteLength equals the buffer's size. */
  write(id: Id, data: ArrayBufferView): void;
  /** Resolves with a copy of the buffer once its device→host copy's event has completed. */
  read(id: Id): Promise<ArrayBuffer>;
  readSync(id: Id): ArrayBuffer;
  synchronize(): Promise<void>;
  synchronizeSync(): void;
  memory(): CudaMemoryStats;
  emptyCache(): void;
  info(): CudaDeviceInfo;
  dispose(): void;
  /** Restarts the live-bytes peak (`memory().peakBytes`) from the bytes live now. */
  resetPeak(): void;
  /** f32 MatMul through TF32 tensor cores (opt-in). */
  setTf32(on: boolean): void;
  /** Kernel timing (kernel-profiler.ts): records a timing event on the stream, returns its mark. */
  timingMark(): number;
  /** Milliseconds between two marks (waits for the second). */
  timingElapsed(a: number, b: number): number;
  /** Forgets every mark (their events are reused). */
  timingReset(): void;
  /** CUDA Graphs: record the stream's work from beginCapture() to endCapture() (→ graph id), replay, release. */
  beginCapture(): void;
  endCapture(): number;
  replayGraph(graph: number): void;
  releaseGraph(graph: number): void;

  Neg: UnaryFn;
  Abs: UnaryFn;
  Exp: UnaryFn;
  Log: UnaryFn;
  Sqrt: UnaryFn;
  Rsqrt: UnaryFn;
  Reciprocal: UnaryFn;
  Sigmoid: UnaryFn;
  Silu: UnaryFn;
  Softplus: UnaryFn;
  Tanh: UnaryFn;
  Add: BinaryFn;
  Sub: BinaryFn;
  Mul: BinaryFn;
  Div: BinaryFn;
  Maximum: BinaryFn;
  Minimum: BinaryFn;
  Equal: BinaryFn;
  NotEqual: BinaryFn;
  Less: BinaryFn;
  LessEqual: BinaryFn;
  Greater: BinaryFn;
  GreaterEqual: BinaryFn;
  Where(
    out: Id,
    cond: Id,
    a: Id,
    b: Id,
    dtype: Code,
    n: number,
    shape: number[],
    cStrides: number[],
    aStrides: number[],
    bStrides: number[],
  ): void;
  Scale(out: Id, x: Id, dtype: Code, n: number, scale: number, shift: number): void;
  Clamp(out: Id, x: Id, dtype: Code, n: number, min: number, max: number): void;
  Sum: ReduceFn;
  Mean: ReduceFn;
  Max: ReduceFn;
  ArgMax(out: Id, x: Id, dtype: Code, outer: number, n: number, inner: number): void;
  CumSum(
    out: Id,
    x: Id,
    dtype: Code,
    outer: number,
    n: number,
    inner: number,
    exclusive: boolean,
    reverse: boolean,
  ): void;
  MatMul(
    out: Id,
    a: Id,
    b: Id,
    dtype: Code,
    M: number,
    N: number,
    K: number,
    transposeA: boolean,
    transposeB: boolean,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
    outerA: number[],
    outerB: number[],
  ): void;
  Cast(out: Id, x: Id, srcDtype: Code, dstDtype: Code, n: number): void;
  Copy(out: Id, x: Id, bytes: number): void;
  Slice: StridedCopyFn;
  Transpose: StridedCopyFn;
  Concat: StridedCopyFn;
  /**
   * A Concat's pieces (2 to 8) in one launch: piece k is all of srcIds[k] — ranks[k] dims, taken in order from the flat
   * `shapes`, `srcStrides` and `dstStrides` — copied to dst at dstOffsets[k] (elements of elemSize bytes).
   */
  ConcatPieces(
    dst: Id,
    elemSize: number,
    srcIds: Id[],
    ranks: number[],
    shapes: number[],
    srcStrides: number[],
    dstStrides: number[],
    dstOffsets: number[],
  ): void;
  /** `bits`: the value's storage bits (low elemSize bytes). */
  Fill(out: Id, elemSize: number, n: number, bits: number): void;
  Gather(out: Id, table: Id, indices: Id, elemSize: number, count: number, rowSize: number, numRows: number): void;
  ScatterAdd(out: Id, updates: Id, indices: Id, dtype: Code, count: number, rowSize: number, numRows: number): void;

  Softmax(out: Id, x: Id, dtype: Code, rows: number, D: number): void;
  SoftmaxGrad(dx: Id, dy: Id, y: Id, dtype: Code, rows: number, D: number): void;
  RmsNorm(y: Id, x: Id, weight: Id, dtype: Code, rows: number, D: number, eps: number): void;
  RmsNormGrad(dx: Id, dweight: Id, dy: Id, x: Id, weight: Id, dtype: Code, rows: number, D: number, eps: number): void;
  /**
   * The residual add and the RmsNorm of its result (add_rms_norm.cu): sum = x + residual, normed = RmsNorm(sum), all
   * [rows, D] of `dtype`. Newer than the committed prebuilt: registered only where the addon has it.
   */
  AddRmsNorm(
    sum: Id,
    normed: Id,
    x: Id,
    residual: Id,
    weight: Id,
    dtype: Code,
    rows: number,
    D: number,
    eps: number,
  ): void;
  RmsNormGated(
    y: Id,
    x: Id,
    z: Id,
    weight: Id,
    dtype: Code,
    rows: number,
    D: number,
    groupSize: number,
    eps: number,
    normBeforeGate: boolean,
  ): void;
  RmsNormGatedGrad(
    dx: Id,
    dz: Id,
    dweight: Id,
    dy: Id,
    x: Id,
    z: Id,
    weight: Id,
    dtype: Code,
    rows: number,
    D: number,
    groupSize: number,
    eps: number,
    normBeforeGate: boolean,
  ): void;
  Rope(
    y: Id,
    x: Id,
    positions: Id,
    invFreq: Id,
    dtype: Code,
    BT: number,
    H: number,
    Dh: number,
    inverse: boolean,
  ): void;
  CausalConv1d(
    y: Id,
    x: Id,
    weight: Id,
    bias: Id,
    initialState: Id,
    seqIdx: Id,
    dtype: Code,
    B: number,
    T: number,
    C: number,
    K: number,
    silu: boolean,
  ): void;
  CausalConv1dGrad(
    dx: Id,
    dweight: Id,
    dbias: Id,
    dinitialState: Id,
    dy: Id,
    x: Id,
    weight: Id,
    bias: Id,
    initialState: Id,
    seqIdx: Id,
    dtype: Code,
    B: number,
    T: number,
    C: number,
    K: number,
    silu: boolean,
  ): void;
  CausalConv1dUpdate(
    y: Id,
    newState: Id,
    convState: Id,
    x: Id,
    weight: Id,
    bias: Id,
    dtype: Code,
    B: number,
    C: number,
    K: number,
    silu: boolean,
  ): void;
  SsmScan(
    y: Id,
    finalState: Id,
    x: Id,
    dt: Id,
    A: Id,
    Bm: Id,
    Cm: Id,
    D: Id,
    initialState: Id,
    seqIdx: Id,
    dtype: Code,
    B: number,
    T: number,
    H: number,
    P: number,
    G: number,
    N: number,
    chunkSize: number,
    /** dt, A and D's dtype: f32 or `dtype`. */
    paramDtype: Code,
  ): void;
  SsmScanGrad(
    dx: Id,
    ddt: Id,
    dA: Id,
    dBm: Id,
    dCm: Id,
    dD: Id,
    dinitialState: Id,
    dy: Id,
    dFinalState: Id,
    x: Id,
    dt: Id,
    A: Id,
    Bm: Id,
    Cm: Id,
    D: Id,
    initialState: Id,
    seqIdx: Id,
    dtype: Code,
    B: number,
    T: number,
    H: number,
    P: number,
    G: number,
    N: number,
    chunkSize: number,
    /** dt, A and D's dtype: f32 or `dtype`. */
    paramDtype: Code,
  ): void;
  SsmStep(
    y: Id,
    newState: Id,
    state: Id,
    x: Id,
    dt: Id,
    A: Id,
    Bm: Id,
    Cm: Id,
    D: Id,
    dtype: Code,
    B: number,
    H: number,
    P: number,
    G: number,
    N: number,
  ): void;
  /**
   * The Mamba2 decode step after in_proj (ssm_decode_step.cu): y (dtype with the gate, f32 without), nextConv
   * (dtype), nextState (ssmState's dtype) from the columns [offset, offset + H·P + convDim + H) of zxbcdt's rows
   * (rowStride long), convState, convWeight, convBias (dtype), ssmState (f32, or dtype with state16: a 16-bit
   * state, widened on load and rounded once on store) and dtBias, A, D (f32). In place (SsmDecodeStepInPlace)
   * when nextConv is convState and nextState is ssmState, with tickets B·G zeroed 32-bit words the kernel leaves
   * zeroed; out of place tickets is -1.
   */
  SsmDecodeStep(
    ...args: [
      y: Id,
      nextConv: Id,
      nextState: Id,
      zxbcdt: Id,
      convState: Id,
      convWeight: Id,
      convBias: Id,
      ssmState: Id,
      dtBias: Id,
      A: Id,
      D: Id,
      ...sizes: SsmStepSizes,
      gate: boolean,
      dtMin: number,
      dtMax: number,
      tickets: Id,
      rowStride: number,
      offset: number,
      state16: boolean,
    ]
  ): void;
  /** In place on `cache`: rows of `inner` elements at each row's slot (slots [B], or [1] when sharedSlot). */
  CacheWrite(
    cache: Id,
    values: Id,
    slots: Id,
    dtype: Code,
    B: number,
    L: number,
    T: number,
    inner: number,
    sharedSlot: boolean,
  ): void;
  Attention(
    out: Id,
    q: Id,
    k: Id,
    v: Id,
    qSeqIdx: Id,
    kSeqIdx: Id,
    dtype: Code,
    B: number,
    T: number,
    S: number,
    Hq: number,
    Hkv: number,
    Dh: number,
    Dv: number,
    scale: number,
    causal: boolean,
  ): void;
  /**
   * The fused decode step of attention (attention_decode_step.cu): out [B, C + Hq·Dh] = [prefix | o] (prefix [B, C],
   * or -1 with C = 0) from the q|k|v columns at qkvOffset of qkv's rows (qkvStride long); keys and values
   * [B, L, Hkv, Dh] written in place at the slot (slots [B], or [1] when sharedSlot); invFreq the Rope table,
   * tickets B·Hkv zeroed 32-bit words the kernel leaves zeroed.
   */
  AttentionDecodeStep(
    out: Id,
    keys: Id,
    values: Id,
    qkv: Id,
    positions: Id,
    slots: Id,
    qSeqIdx: Id,
    kSeqIdx: Id,
    invFreq: Id,
    tickets: Id,
    dtype: Code,
    B: number,
    L: number,
    Hq: number,
    Hkv: number,
    Dh: number,
    scale: number,
    sharedSlot: boolean,
    prefix: Id,
    prefixWidth: number,
    qkvStride: number,
    qkvOffset: number,
  ): void;
  /**
   * Falcon-H1's two mixers of one decode step side by side (parallel_mixers_decode_step.cu): SsmDecodeStep in place
   * (gate silu; ssmTickets its B·G zeroed words) on the stream and AttentionDecodeStep (attentionTickets its B·Hkv)
   * on the side stream, into out [B, H·P + Hq·Dh] = [y | o]. Both read qkv's rows (rowStride long) at their offsets.
   */
  ParallelMixersDecodeStep?(
    ...args: [
      out: Id,
      qkv: Id,
      convState: Id,
      ssmState: Id,
      convWeight: Id,
      convBias: Id,
      dtBias: Id,
      A: Id,
      D: Id,
      ssmTickets: Id,
      ...sizes: SsmStepSizes,
      dtMin: number,
      dtMax: number,
      rowStride: number,
      ssmOffset: number,
      keys: Id,
      values: Id,
      positions: Id,
      slots: Id,
      sharedSlot: boolean,
      qSeqIdx: Id,
      kSeqIdx: Id,
      invFreq: Id,
      attentionTickets: Id,
      L: number,
      Hq: number,
      Hkv: number,
      Dh: number,
      scale: number,
      attentionOffset: number,
      state16: boolean,
    ]
  ): void;
  AttentionGrad(
    dq: Id,
    dk: Id,
    dv: Id,
    dy: Id,
    q: Id,
    k: Id,
    v: Id,
    qSeqIdx: Id,
    kSeqIdx: Id,
    dtype: Code,
    B: number,
    T: number,
    S: number,
    Hq: number,
    Hkv: number,
    Dh: number,
    Dv: number,
    scale: number,
    causal: boolean,
  ): void;
  CrossEntropy(loss: Id, logits: Id, labels: Id, dtype: Code, R: number, V: number, ignoreIndex: number): void;
  CrossEntropyGrad(
    dlogits: Id,
    dloss: Id,
    logits: Id,
    labels: Id,
    dtype: Code,
    R: number,
    V: number,
    ignoreIndex: number,
  ): void;
  AdamW(
    param: Id,
    grad: Id,
    m: Id,
    v: Id,
    dtype: Code,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    biasCorrection1: number,
    biasCorrection2: number,
  ): void;
  // Optional below: methods newer than the committed prebuilt addon; register-all-kernels.ts registers each kernel only
  // when the loaded addon has its methods (an older binary then runs core's compositions instead).
  /** One launch for every tensor of the lists (ids), in place; sizes in elements; per-tensor lr and weight decay. */
  AdamWMulti?(
    params: Id[],
    grads: Id[],
    m: Id[],
    v: Id[],
    sizes: number[],
    lr: number[],
    weightDecay: number[],
    dtype: Code,
    beta1: number,
    beta2: number,
    eps: number,
    biasCorrection1: number,
    biasCorrection2: number,
  ): void;
  SwiGlu?(y: Id, gate: Id, up: Id, dtype: Code, n: number, gateMultiplier: number): void;
  SwiGluGrad?(dgate: Id, dup: Id, dy: Id, gate: Id, up: Id, dtype: Code, n: number, gateMultiplier: number): void;
  /** SwiGlu of a packed projection: gateUp [rows, 2I] (each row gate then up) → y [rows, I] (swi_glu.cu). */
  SwiGluPacked?(y: Id, gateUp: Id, dtype: Code, rows: number, inner: number, gateMultiplier: number): void;
  /**
   * sum = round(x + residual), y [M, N] = RmsNorm(sum) · weightᵀ (weight [N, K]): one launch at decode shapes
   * (mat_vec.cu's prologue kernel), else AddRmsNorm and the product (the addon chooses).
   */
  AddRmsNormMatMul?(
    sum: Id,
    y: Id,
    x: Id,
    residual: Id,
    normWeight: Id,
    weight: Id,
    dtype: Code,
    M: number,
    K: number,
    N: number,
    eps: number,
  ): void;
  /** y [M, N] = SwiGluPacked(gateUp [M, 2I]) · weightᵀ (weight [N, I]), one launch at decode shapes, else two. */
  SwiGluPackedMatMul?(
    y: Id,
    gateUp: Id,
    weight: Id,
    dtype: Code,
    M: number,
    I: number,
    N: number,
    gateMultiplier: number,
  ): void;
  /**
   * A decode step's MLP after a pending add: sum = round(x + residual), act [M, I] = SwiGluPacked(RmsNorm(sum) ·
   * gateUpWeightᵀ) (gateUpWeight [2I, D]: the activation as the product's epilogue at decode shapes), y [M, N] =
   * act · downWeightᵀ (downWeight [N, I]); the addon chooses the kernels (two launches up to 8 rows, three to 32).
   */
  AddRmsNormSwiGluMlp?(
    sum: Id,
    y: Id,
    x: Id,
    residual: Id,
    normWeight: Id,
    gateUpWeight: Id,
    downWeight: Id,
    dtype: Code,
    M: number,
    D: number,
    I: number,
    N: number,
    eps: number,
    gateMultiplier: number,
  ): void;
  // LinearCrossEntropy's per-chunk kernels (native/kernels/linear_cross_entropy.cuh); the chunk loop is TypeScript.
  LceChunkStats?(
    z: Id,
    labels: Id,
    runMax: Id,
    runSum: Id,
    target: Id,
    dtype: Code,
    R: number,
    C: number,
    c0: number,
    scale: number,
    ignoreIndex: number,
    first: boolean,
  ): void;
  LceLoss?(
    loss: Id,
    lse: Id,
    runMax: Id,
    runSum: Id,
    target: Id,
    labels: Id,
    R: number,
    V: number,
    ignoreIndex: number,
  ): void;
  LceChunkGrad?(
    z: Id,
    dloss: Id,
    lse: Id,
    labels: Id,
    dtype: Code,
    R: number,
    C: number,
    c0: number,
    scale: number,
    ignoreIndex: number,
  ): void;
  LceAccumulate?(acc: Id, x: Id, dtype: Code, n: number, first: boolean): void;
}

/** What `require('falcon_h1_cuda.node')` returns. */
export interface CudaAddon {
  /** Bumped when the surface above changes incompatibly. */
  readonly abiVersion: number;
  probe(): CudaProbe;
  Context: new (device: number) => CudaContext;
}

/** The abiVersion this TypeScript mirror matches. */
export const ADDON_ABI_VERSION = 5;

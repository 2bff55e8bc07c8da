/**
 * The typed mirror of the C ABI (csrc/) and the loader of the two emscripten builds in build/.
 *
 * Every kernel is a C function named after its kernel (`Softmax`, `SsmScanGrad`), exported as `_<Kernel>` on
 * the emscripten module and called with heap pointers and sizes (tensors never leave the heap). Pointers are
 * unsigned 32-bit addresses: the heap grows up to 4 GB, so a pointer read back from wasm is taken `>>> 0`.
 */

/** The pthread bookkeeping of emscripten's glue (threads build only). */
interface PThreadGlue {
  unusedWorkers: Array<{ unref?(): void; terminate(): void }>;
  runningWorkers: Array<{ unref?(): void; terminate(): void }>;
  terminateAllThreads(): void;
}

type Ptr = number;

/** What the emscripten module exports (see csrc/ for each function's exact semantics). */
export interface FalconWasmModule {
  HEAPU8: Uint8Array;
  /** The shared memory of the threads build (its `buffer` is replaced when the memory grows). */
  wasmMemory?: { readonly buffer: ArrayBufferLike };
  PThread?: PThreadGlue;

  _malloc(bytes: number): Ptr;
  _free(ptr: Ptr): void;
  _fh_abi_version(): number;
  _fh_start_threads(n: number): number;
  _fh_threads_started(): number;
  _fh_pool_size(): number;
  _fh_gemm_prepare(threads: number): void;
  _fh_widen16(y: Ptr, bits: Ptr, n: number, dtype: number): void;
  _fh_narrow16(bits: Ptr, x: Ptr, n: number, dtype: number): void;

  // unary (Neg and Abs also i32: dtype code 3)
  _Neg(y: Ptr, x: Ptr, n: number, dtype: number): void;
  _Abs(y: Ptr, x: Ptr, n: number, dtype: number): void;
  _Exp(y: Ptr, x: Ptr, n: number, rnd: number): void;
  _Log(y: Ptr, x: Ptr, n: number, rnd: number): void;
  _Sqrt(y: Ptr, x: Ptr, n: number, rnd: number): void;
  _Rsqrt(y: Ptr, x: Ptr, n: number, rnd: number): void;
  _Reciprocal(y: Ptr, x: Ptr, n: number, rnd: number): void;
  _Sigmoid(y: Ptr, x: Ptr, n: number, rnd: number): void;
  _Silu(y: Ptr, x: Ptr, n: number, rnd: number): void;
  _Softplus(y: Ptr, x: Ptr, n: number, rnd: number): void;
  _Tanh(y: Ptr, x: Ptr, n: number, rnd: number): void;
  // binary, compare, select (info: broadcast block, see src/shape.ts)
  _Add(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Sub(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Mul(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Div(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Maximum(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Minimum(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Equal(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _NotEqual(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Less(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _LessEqual(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Greater(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _GreaterEqual(y: Ptr, a: Ptr, b: Ptr, info: Ptr, dtype: number): void;
  _Where(y: Ptr, condition: Ptr, a: Ptr, b: Ptr, info: Ptr, elementSize: number): void;
  _Scale(y: Ptr, x: Ptr, n: number, scale: number, shift: number, rnd: number): void;
  _Clamp(y: Ptr, x: Ptr, n: number, lo: number, hi: number, rnd: number): void;
  // reductions and scans over [outer, n, inner]
  _Sum(y: Ptr, x: Ptr, outer: number, n: number, inner: number, dtype: number): void;
  _Mean(y: Ptr, x: Ptr, outer: number, n: number, inner: number, divisor: number, rnd: number): void;
  _Max(y: Ptr, x: Ptr, outer: number, n: number, inner: number, dtype: number): void;
  _ArgMax(y: Ptr, x: Ptr, outer: number, n: number, inner: number, dtype: number): void;
  _CumSum(
    y: Ptr,
    x: Ptr,
    outer: number,
    n: number,
    inner: number,
    exclusive: number,
    reverse: number,
    dtype: number,
  ): void;
  // linear algebra, conversion, data movement
  _MatMul(
    y: Ptr,
    a: Ptr,
    b: Ptr,
    info: Ptr,
    M: number,
    N: number,
    K: number,
    transA: number,
    transB: number,
    dtype: number,
  ): void;
  _Cast(y: Ptr, x: Ptr, n: number, from: number, to: number): void;
  _Copy(y: Ptr, x: Ptr, bytes: number): void;
  _Slice(y: Ptr, x: Ptr, info: Ptr, elementSize: number): void;
  _Concat(y: Ptr, info: Ptr): void;
  _Transpose(y: Ptr, x: Ptr, info: Ptr, elementSize: number): void;
  _Fill(y: Ptr, n: number, value: number, dtype: number): void;
  _Gather(y: Ptr, table: Ptr, indices: Ptr, count: number, V: number, rowBytes: number): number;
  _ScatterAdd(y: Ptr, updates: Ptr, indices: Ptr, count: number, rows: number, rowSize: number, dtype: number): number;
  // fused
  _Softmax(y: Ptr, x: Ptr, R: number, D: number, rnd: number): void;
  _SoftmaxGrad(dx: Ptr, dy: Ptr, y: Ptr, R: number, D: number, rnd: number): void;
  _RmsNorm(y: Ptr, x: Ptr, weight: Ptr, R: number, D: number, eps: number, rnd: number): void;
  _RmsNormGrad(
    dx: Ptr,
    dweight: Ptr,
    dy: Ptr,
    x: Ptr,
    weight: Ptr,
    R: number,
    D: number,
    eps: number,
    rnd: number,
    rndW: number,
  ): void;
  _RmsNormGated(
    y: Ptr,
    x: Ptr,
    z: Ptr,
    weight: Ptr,
    R: number,
    D: number,
    groupSize: number,
    eps: number,
    normBeforeGate: number,
    rnd: number,
  ): void;
  _RmsNormGatedGrad(
    dx: Ptr,
    dz: Ptr,
    dweight: Ptr,
    dy: Ptr,
    x: Ptr,
    z: Ptr,
    weight: Ptr,
    R: number,
    D: number,
    groupSize: number,
    eps: number,
    normBeforeGate: number,
    rnd: number,
    rndW: number,
  ): void;
  _Rope(
    y: Ptr,
    x: Ptr,
    positions: Ptr,
    BT: number,
    H: number,
    Dh: number,
    theta: number,
    inverse: number,
    rnd: number,
  ): void;
  _CausalConv1d(
    y: Ptr,
    x: Ptr,
    weight: Ptr,
    bias: Ptr,
    initialState: Ptr,
    seqIdx: Ptr,
    B: number,
    T: number,
    C: number,
    K: number,
    silu: number,
    rnd: number,
  ): void;
  _CausalConv1dGrad(
    dx: Ptr,
    dweight: Ptr,
    dbias: Ptr,
    dinitialState: Ptr,
    dy: Ptr,
    x: Ptr,
    weight: Ptr,
    bias: Ptr,
    initialState: Ptr,
    seqIdx: Ptr,
    B: number,
    T: number,
    C: number,
    K: number,
    silu: number,
    rnd: number,
    rndW: number,
    rndState: number,
  ): void;
  _CausalConv1dUpdate(
    y: Ptr,
    newState: Ptr,
    convState: Ptr,
    x: Ptr,
    weight: Ptr,
    bias: Ptr,
    B: number,
    C: number,
    K: number,
    silu: number,
    rnd: number,
    rndState: number,
  ): void;
  _SsmScan(
    y: Ptr,
    finalState: Ptr,
    x: Ptr,
    dt: Ptr,
    A: Ptr,
    Bm: Ptr,
    Cm: Ptr,
    D: Ptr,
    initialState: Ptr,
    seqIdx: Ptr,
    B: number,
    T: number,
    H: number,
    P: number,
    G: number,
    N: number,
    chunk: number,
    rnd: number,
  ): void;
  _SsmScanGrad(
    dx: Ptr,
    ddt: Ptr,
    dA: Ptr,
    dBm: Ptr,
    dCm: Ptr,
    dD: Ptr,
    dinitialState: Ptr,
    dy: Ptr,
    dFinalState: Ptr,
    x: Ptr,
    dt: Ptr,
    A: Ptr,
    Bm: Ptr,
    Cm: Ptr,
    D: Ptr,
    initialState: Ptr,
    seqIdx: Ptr,
    B: number,
    T: number,
    H: number,
    P: number,
    G: number,
    N: number,
    chunk: number,
    rnd: number,
    rndDt: number,
    rndBC: number,
    rndA: number,
    rndD: number,
  ): void;
  _SsmStep(
    y: Ptr,
    newState: Ptr,
    state: Ptr,
    x: Ptr,
    dt: Ptr,
    A: Ptr,
    Bm: Ptr,
    Cm: Ptr,
    D: Ptr,
    B: number,
    H: number,
    P: number,
    G: number,
    N: number,
    rnd: number,
  ): void;
  _Attention(
    out: Ptr,
    q: Ptr,
    k: Ptr,
    v: Ptr,
    qSeqIdx: Ptr,
    kSeqIdx: Ptr,
    B: number,
    T: number,
    S: number,
    Hq: number,
    Hkv: number,
    Dh: number,
    Dv: number,
    scale: number,
    causal: number,
    rnd: number,
  ): void;
  _AttentionGrad(
    dq: Ptr,
    dk: Ptr,
    dv: Ptr,
    dy: Ptr,
    q: Ptr,
    k: Ptr,
    v: Ptr,
    qSeqIdx: Ptr,
    kSeqIdx: Ptr,
    B: number,
    T: number,
    S: number,
    Hq: number,
    Hkv: number,
    Dh: number,
    Dv: number,
    scale: number,
    causal: number,
    rnd: number,
  ): void;
  _CrossEntropy(loss: Ptr, logits: Ptr, labels: Ptr, R: number, V: number, ignoreIndex: number): number;
  _CrossEntropyGrad(
    dlogits: Ptr,
    dloss: Ptr,
    logits: Ptr,
    labels: Ptr,
    R: number,
    V: number,
    ignoreIndex: number,
    rnd: number,
  ): number;
  _AdamW(
    param: Ptr,
    grad: Ptr,
    m: Ptr,
    v: Ptr,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
    rnd: number,
  ): void;
}

/** The two builds in build/. */
export type WasmBuild = 'simd' | 'threads';

/** The C ABI version this TypeScript was written against (csrc/runtime.c `fh_abi_version`). */
export const ABI_VERSION = 1;

type Factory = (moduleArg?: Record<string, unknown>) => Promise<FalconWasmModule>;

/**
 * Instantiates one build. The threads build pre-creates `threads − 1` pthread workers while it starts, then
 * starts the persistent pool in C and waits (yielding to the event loop) until every worker runs.
 */
export async function loadWasmModule(build: WasmBuild, threads: number): Promise<FalconWasmModule> {
  // String literals so that bundlers see the modules; build/*.d.mts types them.
  const factory = (
    build === 'threads'
      ? (await import('../build/falcon-h1-wasm-threads.mjs')).default
      : (await import('../build/falcon-h1-wasm-simd.mjs')).default
  ) as Factory;
  // At least one pool worker: emscripten 3.1.6's start-up never resolves with an empty pool.
  const module = await factory(build === 'threads' ? { fhPoolSize: Math.max(1, threads - 1) } : {});
  const abi = module._fh_abi_version();
  if (abi !== ABI_VERSION) {
    throw new Error(
      `build was built for ABI ${abi} but this package expects ${ABI_VERSION}: rebuild it (node scripts/build-wasm.mjs)`,
    );
  }
  if (build === 'threads' && threads > 1) {
    const pool = module._fh_start_threads(threads);
    const deadline = Date.now() + 10_000;
    while (module._fh_threads_started() < pool - 1) {
      if (Date.now() > deadline) {
        throw new Error(`the wasm thread pool did not start (${module._fh_threads_started()} of ${pool - 1} workers)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  // In Node, pool workers must not keep the process alive.
  for (const worker of [...(module.PThread?.unusedWorkers ?? []), ...(module.PThread?.runningWorkers ?? [])]) {
    worker.unref?.();
  }
  module._fh_gemm_prepare(module._fh_pool_size());
  return module;
}

/**
 * THE KERNEL CONTRACT — every kernel a falcon-h1 backend can implement, with its exact semantics.
 *
 * Read this file top to bottom to write a backend. It is the only place kernel names, inputs, attributes and
 * outputs are defined; core ops, gradients, backends and the conformance suite all import these types, so a
 * misspelt kernel name or a wrong input fails to compile.
 *
 * Two tiers:
 *  - PRIMITIVES (`PrimitiveKernelName`): every backend implements all of them. They are enough to run the whole
 *    Falcon-H1 forward, backward and optimizer, because core composes every fused kernel from them.
 *  - FUSED kernels (`FusedKernelName`, forward and backward): optional. A backend registers one when it runs
 *    faster than core's composition of primitives. When a backend lacks a fused forward kernel, core runs the
 *    composition (packages/core-tensor/src/compositions/); when it lacks a fused *Grad kernel, core
 *    differentiates the composition. Compositions are tested against the reference like any kernel.
 *
 * Conventions that hold for every kernel unless its entry says otherwise:
 *  - Tensors are dense, contiguous and row-major (the last axis varies fastest). There are no strides: a view
 *    (reshape) is a new shape over the same data, handled by core without any kernel.
 *  - A kernel never mutates its inputs (exceptions: `AdamW` and `AdamWMulti`, which update their state in place,
 *    `CacheWrite` and `AttentionDecodeStep`, which write a decode step's rows into a cache,
 *    `SsmDecodeStepInPlace`, which updates the SSM decode states, and `ParallelMixersDecodeStep`, which does
 *    both) and returns newly allocated outputs owned by the caller.
 *  - Shapes are validated by core before a kernel is called; a kernel may assume its documented shape rules.
 *  - Float inputs of one kernel share one dtype (f64, f32, f16 or bf16) unless stated; the output has that dtype.
 *    Arithmetic accumulates in at least f32 (the reference backend: f64) and rounds once when it stores.
 *  - Integer inputs (ids, labels, document ids, positions) are i32.
 *  - Document ids (`seqIdx`, `qSeqIdx`, `kSeqIdx`) label packed documents: within a row each id forms one
 *    contiguous run (ids never come back), so "same document" and "no boundary in between" agree.
 *  - A backward kernel's output has the dtype of the input it differentiates (dx like x, dA like A, ...).
 *  - Rounding to f16/bf16 from a wider value goes through f32 (as PyTorch's c10::Half/BFloat16 do).
 *  - Integer division by zero gives 0; ArgMax treats NaN as the largest value.
 *  - "Broadcast" means NumPy broadcasting: shapes are right-aligned, a dimension of 1 stretches.
 *  - Symbols: B batch, T query/sequence length, S key length, H heads, P SSM head dim, G groups, N state size,
 *    D model/feature size, K conv width, V vocabulary.
 */
import type { DType, StorageArray } from './dtype.js';

/** Opaque handle to a backend-owned buffer. Core never looks inside. */
export type DataId = object;

/** What a kernel sees of a tensor: its buffer handle, shape and dtype. */
export interface TensorInfo {
  readonly dataId: DataId;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

// ---------------------------------------------------------------------------------------------------------------
// Primitive kernels
// ---------------------------------------------------------------------------------------------------------------

/** Elementwise functions of one tensor. Float dtypes only (Neg and Abs also accept i32). Output: same shape/dtype. */
export type UnaryKernelName =
  | 'Neg' // -x
  | 'Abs' // |x|
  | 'Exp' // e^x
  | 'Log' // ln x
  | 'Sqrt' // √x
  | 'Rsqrt' // 1/√x
  | 'Reciprocal' // 1/x
  | 'Sigmoid' // 1/(1+e^-x)
  | 'Silu' // x·sigmoid(x)
  | 'Softplus' // ln(1+e^x), computed stably as max(x,0)+log1p(e^-|x|)
  | 'Tanh'; // tanh x

export const UNARY_KERNELS: readonly UnaryKernelName[] = [
  'Neg',
  'Abs',
  'Exp',
  'Log',
  'Sqrt',
  'Rsqrt',
  'Reciprocal',
  'Sigmoid',
  'Silu',
  'Softplus',
  'Tanh',
];

/** Elementwise arithmetic of two broadcast tensors of one dtype (float or i32). Output: broadcast shape, same dtype. */
export type BinaryKernelName =
  | 'Add' // a + b
  | 'Sub' // a - b
  | 'Mul' // a · b
  | 'Div' // a / b (i32: truncated toward zero)
  | 'Maximum' // max(a, b); NaN propagates
  | 'Minimum'; // min(a, b); NaN propagates

export const BINARY_KERNELS: readonly BinaryKernelName[] = ['Add', 'Sub', 'Mul', 'Div', 'Maximum', 'Minimum'];

/** Elementwise comparison of two broadcast tensors of one dtype. Output: broadcast shape, dtype u8 (1 true, 0 false). */
export type CompareKernelName = 'Equal' | 'NotEqual' | 'Less' | 'LessEqual' | 'Greater' | 'GreaterEqual';

export const COMPARE_KERNELS: readonly CompareKernelName[] = [
  'Equal',
  'NotEqual',
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
];

/** Reductions over a set of axes. Output dtype: input dtype; accumulation in ≥ f32. */
export type ReduceKernelName =
  | 'Sum' // Σ (an empty reduction gives 0)
  | 'Mean' // Σ / count
  | 'Max'; // maximum; NaN propagates; an empty reduction is an error (core rejects it)

export const REDUCE_KERNELS: readonly ReduceKernelName[] = ['Sum', 'Mean', 'Max'];

export interface UnaryInputs {
  x: TensorInfo;
}
export interface BinaryInputs {
  a: TensorInfo;
  b: TensorInfo;
}
export interface ReduceAttrs {
  /** Distinct, non-negative, sorted axes to reduce. */
  axes: number[];
  /** Keep reduced axes as size 1. */
  keepDims: boolean;
}

/** Every primitive kernel: inputs, attributes and outputs. */
export interface PrimitiveKernels {
  Neg: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Abs: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Exp: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Log: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Sqrt: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Rsqrt: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Reciprocal: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Sigmoid: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Silu: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Softplus: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Tanh: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };

  Add: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Sub: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Mul: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Div: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Maximum: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Minimum: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };

  Equal: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  NotEqual: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Less: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  LessEqual: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  Greater: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  GreaterEqual: { inputs: BinaryInputs; attrs: Record<string, never>; outputs: TensorInfo };

  /** y = x·scale + shift, elementwise, float dtypes. Multipliers, 1−x and friends without a scalar tensor. */
  Scale: { inputs: UnaryInputs; attrs: { scale: number; shift: number }; outputs: TensorInfo };
  /** y = min(max(x, min), max), float dtypes; `min`/`max` may be ±Infinity. NaN stays NaN. */
  Clamp: { inputs: UnaryInputs; attrs: { min: number; max: number }; outputs: TensorInfo };
  /** y = condition ? a : b, all three broadcast; condition is u8 (non-zero = true); a, b one dtype. */
  Where: {
    inputs: { condition: TensorInfo; a: TensorInfo; b: TensorInfo };
    attrs: Record<string, never>;
    outputs: TensorInfo;
  };

  Sum: { inputs: UnaryInputs; attrs: ReduceAttrs; outputs: TensorInfo };
  Mean: { inputs: UnaryInputs; attrs: ReduceAttrs; outputs: TensorInfo };
  Max: { inputs: UnaryInputs; attrs: ReduceAttrs; outputs: TensorInfo };
  /** Index (i32) of the first maximum along `axis` (the axis is removed). Greedy decoding. */
  ArgMax: { inputs: UnaryInputs; attrs: { axis: number }; outputs: TensorInfo };
  /**
   * Inclusive prefix sum along `axis`: y[i] = Σ_{j≤i} x[j]. With `reverse`, y[i] = Σ_{j≥i} x[j].
   * With `exclusive`, the term j = i is left out. Accumulates in ≥ f32 (the SSD's segment sums rely on it).
   */
  CumSum: { inputs: UnaryInputs; attrs: { axis: number; exclusive: boolean; reverse: boolean }; outputs: TensorInfo };

  /**
   * Batched matrix product. a: [...batchA, M, K] (or [..., K, M] with transposeA), b: [...batchB, K, N]
   * (or [..., N, K] with transposeB); batch dims broadcast; rank ≥ 2 each. Output [...batch, M, N].
   * Accumulation in f32 at least, whatever the storage dtype.
   */
  MatMul: {
    inputs: { a: TensorInfo; b: TensorInfo };
    attrs: { transposeA: boolean; transposeB: boolean };
    outputs: TensorInfo;
  };

  /** Converts to `dtype`: float→float rounds to nearest even; float→int truncates toward zero; int→float exact where representable; to u8 wraps modulo 256. */
  Cast: { inputs: UnaryInputs; attrs: { dtype: DType }; outputs: TensorInfo };
  /** A new buffer with the same contents (used when a tensor must be owned, e.g. assigning a variable). */
  Copy: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  /** x[begin[d] : begin[d]+size[d]] on every axis d (size ≥ 0, all in bounds). */
  Slice: { inputs: UnaryInputs; attrs: { begin: number[]; size: number[] }; outputs: TensorInfo };
  /** Joins tensors of one dtype along `axis`; other dims equal. */
  Concat: { inputs: { xs: TensorInfo[] }; attrs: { axis: number }; outputs: TensorInfo };
  /** Permutes axes: output dim d is input dim perm[d]. */
  Transpose: { inputs: UnaryInputs; attrs: { perm: number[] }; outputs: TensorInfo };
  /** A new tensor of `shape` filled with `value` (rounded to `dtype`). */
  Fill: { inputs: Record<string, never>; attrs: { shape: number[]; dtype: DType; value: number }; outputs: TensorInfo };

  /**
   * Embedding lookup along axis 0: table [V, ...rest], indices i32 [...idx] → [...idx, ...rest].
   * Indices must be in [0, V); a backend reports an out-of-range index as an error where it can check.
   */
  Gather: { inputs: { table: TensorInfo; indices: TensorInfo }; attrs: Record<string, never>; outputs: TensorInfo };
  /**
   * The adjoint of Gather: out [numRows, ...rest] = 0, then out[indices[i]] += updates[i] for every index
   * position i (duplicates accumulate). updates [...idx, ...rest], indices i32 [...idx].
   */
  ScatterAdd: { inputs: { updates: TensorInfo; indices: TensorInfo }; attrs: { numRows: number }; outputs: TensorInfo };
}

// ---------------------------------------------------------------------------------------------------------------
// Fused kernels (optional; core has a tested composition for each)
// ---------------------------------------------------------------------------------------------------------------

export type ConvActivation = 'none' | 'silu';
/** SsmDecodeStep's output gate: y·silu(z), or none (a gated RMSNorm after the kernel applies z). */
export type SsmGate = 'none' | 'silu';

export interface FusedKernels {
  /** softmax along the last axis, computed as exp(x − max)/Σ in ≥ f32. */
  Softmax: { inputs: UnaryInputs; attrs: Record<string, never>; outputs: TensorInfo };
  /** dx = y ⊙ (dy − Σ_last(dy ⊙ y)), with y the Softmax output. */
  SoftmaxGrad: { inputs: { dy: TensorInfo; y: TensorInfo }; attrs: Record<string, never>; outputs: TensorInfo };

  /**
   * RMSNorm over the last axis (size D): y = weight ⊙ round(x · rsqrt(mean(x²) + eps)).
   * x [..., D], weight [D]. Normalisation is computed in ≥ f32 and rounded to x's dtype before the weight
   * multiply (transformers' FalconH1RMSNorm).
   */
  RmsNorm: { inputs: { x: TensorInfo; weight: TensorInfo }; attrs: { eps: number }; outputs: TensorInfo };
  RmsNormGrad: {
    inputs: { dy: TensorInfo; x: TensorInfo; weight: TensorInfo };
    attrs: { eps: number };
    outputs: { dx: TensorInfo; dweight: TensorInfo };
  };
  /**
   * A residual add and the RMSNorm that reads its result, in one kernel (a decode step's residual stream: the
   * layer's h + branches and pre_ff_layernorm of it, or a layer's output and the next layer's input_layernorm):
   *   sum    = x + residual                 rounded to the dtype, exactly as Add stores it
   *   normed = RmsNorm(sum, weight, eps)    the RmsNorm entry above, computed from the STORED (rounded) sum:
   *            weight ⊙ round(sum · rsqrt(mean(sum²) + eps)), normalised in ≥ f32, rounded again after the weight
   * x, residual [..., D] (one shape, one float dtype), weight [D] (that dtype). Outputs sum and normed [..., D] in
   * that dtype. So the result equals Add followed by RmsNorm; a backend whose RmsNorm reduces in the same order gets
   * identical bits. Decode only: core differentiates the composition if asked.
   */
  AddRmsNorm: {
    inputs: { x: TensorInfo; residual: TensorInfo; weight: TensorInfo };
    attrs: { eps: number };
    outputs: { sum: TensorInfo; normed: TensorInfo };
  };
  /**
   * AddRmsNorm and the bias-free projection that reads its normed output, in one kernel (a decode step's
   * input_layernorm → [in_proj ; q|k|v], pre_ff_layernorm → [gate_proj ; up_proj]):
   *   sum, normed = AddRmsNorm(x, residual, normWeight, eps)          exactly the AddRmsNorm entry above
   *   y           = MatMul(normed, weight, transposeA false, transposeB true)   normed as AddRmsNorm stores it
   * x, residual [..., D], normWeight [D], weight [N, D] (a Linear weight), one float dtype for all four. Outputs sum
   * [..., D] and y [..., N]; normed itself is not stored. A backend computes normed exactly as its AddRmsNorm
   * stores it (rounded to the dtype), then the product as its MatMul does, so the result equals AddRmsNorm followed
   * by MatMul bit for bit on such a backend. Decode only: core differentiates the composition if asked.
   */
  AddRmsNormMatMul: {
    inputs: { x: TensorInfo; residual: TensorInfo; normWeight: TensorInfo; weight: TensorInfo };
    attrs: { eps: number };
    outputs: { sum: TensorInfo; y: TensorInfo };
  };

  /**
   * Mamba2's grouped gated RMSNorm, all in ≥ f32. x, z [..., D], weight [D], D divisible by groupSize.
   * normBeforeGate = false (every published Falcon-H1): g = x ⊙ silu(z), then each group of `groupSize`
   *   consecutive channels is normalised: y = weight ⊙ g · rsqrt(mean_group(g²) + eps).
   * normBeforeGate = true: y = weight ⊙ x · rsqrt(mean_group(x²) + eps) ⊙ silu(z).
   */
  RmsNormGated: {
    inputs: { x: TensorInfo; z: TensorInfo; weight: TensorInfo };
    attrs: { eps: number; groupSize: number; normBeforeGate: boolean };
    outputs: TensorInfo;
  };
  RmsNormGatedGrad: {
    inputs: { dy: TensorInfo; x: TensorInfo; z: TensorInfo; weight: TensorInfo };
    attrs: { eps: number; groupSize: number; normBeforeGate: boolean };
    outputs: { dx: TensorInfo; dz: TensorInfo; dweight: TensorInfo };
  };

  /**
   * GPT-NeoX rotary embedding ("rotate half") over the whole head dim Dh (even).
   * x [B, T, H, Dh], positions i32 [B, T]. With half = Dh/2, for i < half:
   *   inv_freq_i = f32(1 / f32(f32(theta) ^ f32(2i/Dh)))       all in f32, exactly as transformers computes it
   *   angle      = f32(positions[b,t] · inv_freq_i)             (its float64 goldens use these f32 angles too)
   *   c, s       = cos(angle), sin(angle), each rounded to f32
   *   y[i]        = x[i]·c − x[i+half]·s
   *   y[i+half]   = x[i+half]·c + x[i]·s
   * With `inverse`, s is negated (the rotation's inverse and transpose: RoPE's own gradient).
   */
  Rope: {
    inputs: { x: TensorInfo; positions: TensorInfo };
    attrs: { theta: number; inverse: boolean };
    outputs: TensorInfo;
  };

  /**
   * Causal depthwise conv1d over time with zero left padding, plus bias and activation:
   *   y[b,t,c] = act( bias[c] + Σ_{k<K} weight[c,k] · xin[b, t−(K−1)+k, c] )
   * x [B, T, C], weight [C, K], bias [C] (optional), initialState [B, C, K−1] (optional: the K−1 columns
   * before t = 0, xin[b, −K+1 … −1]; zeros when absent), seqIdx i32 [B, T] (optional: document ids). With
   * seqIdx, a term reads xin[b, s, c] only if the document of s equals seqIdx[b,t], where the document of
   * s < 0 (an initialState column) is seqIdx[b,0].
   */
  CausalConv1d: {
    inputs: { x: TensorInfo; weight: TensorInfo; bias?: TensorInfo; initialState?: TensorInfo; seqIdx?: TensorInfo };
    attrs: { activation: ConvActivation };
    outputs: TensorInfo;
  };
  CausalConv1dGrad: {
    inputs: {
      dy: TensorInfo;
      x: TensorInfo;
      weight: TensorInfo;
      bias?: TensorInfo;
      initialState?: TensorInfo;
      seqIdx?: TensorInfo;
    };
    attrs: { activation: ConvActivation };
    outputs: { dx: TensorInfo; dweight: TensorInfo; dbias?: TensorInfo; dinitialState?: TensorInfo };
  };
  /**
   * One decode step of CausalConv1d. convState [B, C, K] holds the last K inputs (oldest first).
   * newState = convState shifted left by one with x [B, C] appended; y[b,c] = act(bias[c] + Σ_k weight[c,k]·newState[b,c,k]).
   */
  CausalConv1dUpdate: {
    inputs: { convState: TensorInfo; x: TensorInfo; weight: TensorInfo; bias?: TensorInfo };
    attrs: { activation: ConvActivation };
    outputs: { y: TensorInfo; convState: TensorInfo };
  };

  /**
   * The Mamba2 selective scan (SSD), defined by its recurrence; backends usually compute it in chunks of
   * `chunkSize` (any chunk size gives the same result up to rounding; the last chunk may be partial).
   * x [B, T, H, P], dt [B, T, H] (already softplus'ed and clamped), A [H] (negative), Bm [B, T, G, N],
   * Cm [B, T, G, N], D [H] (optional skip), initialState [B, H, P, N] (optional; zeros when absent),
   * seqIdx i32 [B, T] (optional document ids). Head h reads group g = floor(h / (H/G)).
   *   S_{-1} = initialState
   *   S_t = exp(dt_t·A_h)·S_{t−1} + dt_t · x_t ⊗ Bm_t        (S_{t-1} treated as 0 where seqIdx_t ≠ seqIdx_{t−1})
   *   y_t = S_t · Cm_t + D_h · x_t
   * Outputs y [B, T, H, P] (dtype of dt) and finalState = S_{T−1} [B, H, P, N] (always f32 or f64).
   * dt, A, states and cumulative sums are ≥ f32 whatever the activations' dtype. x, Bm, Cm share the activations'
   * dtype; dt, A and D share one dtype: the activations' or (16-bit activations) f32, so a bf16 model feeds 16-bit
   * x/B/C with exact f32 dt/A/D. y takes dt's dtype — x's when all inputs share one, f32 in that mixed case — so the
   * f32 gated norm after the scan reads y without a 16-bit rounding and a cast in between.
   */
  SsmScan: {
    inputs: {
      x: TensorInfo;
      dt: TensorInfo;
      A: TensorInfo;
      Bm: TensorInfo;
      Cm: TensorInfo;
      D?: TensorInfo;
      initialState?: TensorInfo;
      seqIdx?: TensorInfo;
    };
    attrs: { chunkSize: number };
    outputs: { y: TensorInfo; finalState: TensorInfo };
  };
  /**
   * Gradients of SsmScan given dy (y's dtype, i.e. dt's) and optionally dFinalState. Outputs match the inputs
   * present, each in its input's dtype (dx, dBm, dCm in x's; ddt, dA, dD in dt's; dinitialState f32/f64).
   */
  SsmScanGrad: {
    inputs: {
      dy: TensorInfo;
      dFinalState?: TensorInfo;
      x: TensorInfo;
      dt: TensorInfo;
      A: TensorInfo;
      Bm: TensorInfo;
      Cm: TensorInfo;
      D?: TensorInfo;
      initialState?: TensorInfo;
      seqIdx?: TensorInfo;
    };
    attrs: { chunkSize: number };
    outputs: {
      dx: TensorInfo;
      ddt: TensorInfo;
      dA: TensorInfo;
      dBm: TensorInfo;
      dCm: TensorInfo;
      dD?: TensorInfo;
      dinitialState?: TensorInfo;
    };
  };
  /**
   * One decode step of the scan: state [B, H, P, N] (f32), x [B, H, P], dt [B, H], A [H], Bm, Cm [B, G, N], D [H]?
   *   state' = exp(dt·A)·state + dt · x ⊗ Bm ;  y = state'·Cm + D·x
   * Outputs y [B, H, P] and the new state.
   */
  SsmStep: {
    inputs: {
      state: TensorInfo;
      x: TensorInfo;
      dt: TensorInfo;
      A: TensorInfo;
      Bm: TensorInfo;
      Cm: TensorInfo;
      D?: TensorInfo;
    };
    attrs: Record<string, never>;
    outputs: { y: TensorInfo; state: TensorInfo };
  };
  /**
   * The whole Mamba2 mixer decode step after in_proj, in one kernel: it reads the PACKED in_proj output of one token
   * and returns the (gated) SSM output and both next states. With dSsm = H·P, GN = G·N, convDim = dSsm + 2·GN and
   * G = (convDim − dSsm) / (2N) (H divisible by G; head h reads group floor(h / (H/G))), the result equals this
   * composition of the kernels above:
   *   z, xBC, dtRaw = zxbcdt[b] split into dSsm, convDim and H columns          (in that order: [z | x B C | dt])
   *   dt       = softplus(dtRaw + dtBias), clamped to [dtMin, dtMax]           in the state dtype (widened first)
   *   xBC', convState' = CausalConv1dUpdate(convState, xBC, convWeight, convBias, activation)
   *                                                                            xBC' rounded to zxbcdt's dtype
   *   x, B, C  = xBC' split into dSsm, GN and GN columns, widened to the state dtype
   *   y, ssmState' = SsmStep(ssmState, x [B,H,P], dt, A, B [B,G,N], C [B,G,N], D)     in ≥ f32, no rounding
   *   y        = y · silu(z)   (z widened)  when gate = 'silu';  y as it is when gate = 'none'
   * zxbcdt [B, dSsm + convDim + H], convState [B, convDim, K], convWeight [convDim, K] and convBias [convDim]? share
   * the activations' dtype (any float); dtBias, A (= −exp(A_log), negative) and D? [H] are in the state dtype: f32,
   * or f64 for f64 activations. ssmState [B, H, P, N] is in the state dtype, or — a 16-bit state, as transformers
   * keeps it — in the activations' dtype when that is f16 or bf16: the step then widens it to f32 when it reads it,
   * computes exactly as with that f32 state (y from the unrounded new state) and rounds the new state once to
   * ssmState's dtype when it stores it. dtMin ≤ dtMax (0 and +∞: no clamp, softplus is positive).
   * Outputs: y [B, dSsm] — rounded once to the activations' dtype when gate = 'silu' (what out_proj reads), in the
   * state dtype (dtBias's) when gate = 'none' (a gated RMSNorm follows and reads it unrounded); convState'
   * (convState's dtype); ssmState' (ssmState's dtype). Decode only (inference): core differentiates the composition
   * if asked.
   */
  SsmDecodeStep: {
    inputs: {
      zxbcdt: TensorInfo;
      convState: TensorInfo;
      convWeight: TensorInfo;
      convBias?: TensorInfo;
      ssmState: TensorInfo;
      dtBias: TensorInfo;
      A: TensorInfo;
      D?: TensorInfo;
    };
    attrs: { activation: ConvActivation; gate: SsmGate; dtMin: number; dtMax: number };
    outputs: { y: TensorInfo; convState: TensorInfo; ssmState: TensorInfo };
  };
  /**
   * SsmDecodeStep with its states updated IN PLACE (like AttentionDecodeStep's cache write): a captured decode step
   * then needs no copy of convState' and ssmState' back into the state buffers. The step reads its columns of a
   * WIDER packed row (the mixer's in_proj and the attention's q|k|v projection as one MatMul): zxbcdt [B, W] with
   * W ≥ offset + dSsm + convDim + H, and the step's [z | x B C | dt] are the columns [offset, offset + dSsm +
   * convDim + H) of each row (the others are not read). With zxbcdt' those columns:
   *   y, convState', ssmState' = SsmDecodeStep(zxbcdt', convState, convWeight, convBias, ssmState, dtBias, A, D)
   *   convState ← convState';  ssmState ← ssmState'        (every element, exactly SsmDecodeStep's values)
   * Inputs, attrs (but offset, a non-negative integer) and dtype rules as SsmDecodeStep's (a 16-bit ssmState is
   * written rounded once to its dtype, as SsmDecodeStep's ssmState'). Output: y [B, dSsm] with SsmDecodeStep's
   * dtype rule. A backend must not let one part of the step read a state element another part has already
   * overwritten (the B and C channels of a group are read by every head of the group). Decode only: no gradient.
   */
  SsmDecodeStepInPlace: {
    /** SsmDecodeStep's: zxbcdt, convState, convWeight, convBias?, ssmState, dtBias, A, D?. */
    inputs: FusedKernels['SsmDecodeStep']['inputs'];
    attrs: { activation: ConvActivation; gate: SsmGate; dtMin: number; dtMax: number; offset: number };
    outputs: TensorInfo;
  };
  /**
   * Writes one decode step's rows into a preallocated cache IN PLACE (the static KV cache of captured decode steps:
   * an update of a few rows instead of a Where over every slot). Like AdamW it writes into an input and returns
   * nothing. cache [B, L, ...rest] and values [B, T, ...rest] of one dtype (any dtype: float, i32, u8); slots i32
   * [B] (row b's first slot) or [1] (one slot for every row), read on the device so a captured graph replays it:
   *   cache[b, slots[b] + t, ...] = values[b, t, ...]      for every t < T (stored as is, no rounding)
   * A row whose window slots[b] … slots[b] + T − 1 is not inside [0, L) is left unchanged (a device kernel cannot
   * raise an error). Every other element of cache keeps its value.
   */
  CacheWrite: {
    inputs: { cache: TensorInfo; values: TensorInfo; slots: TensorInfo };
    attrs: Record<string, never>;
    outputs: undefined;
  };

  /**
   * Grouped-query scaled-dot-product attention with softmax in ≥ f32.
   * q [B, T, Hq, Dh], k [B, S, Hkv, Dh], v [B, S, Hkv, Dv]; Hq divisible by Hkv; query head h uses KV head
   * floor(h / (Hq/Hkv)). Query i sits at key position i + (S − T) (the queries are the last T positions).
   * Key j is visible to query i iff (not causal or j ≤ i + S − T) and (no seq ids or qSeqIdx[b,i] = kSeqIdx[b,j]).
   *   out[b,i,h] = Σ_j softmax_j(scale · q[b,i,h]·k[b,j,g]) · v[b,j,g]   over visible j
   * A query with no visible key outputs zeros. Output [B, T, Hq, Dv]. qSeqIdx and kSeqIdx come together or not at all.
   */
  Attention: {
    inputs: { q: TensorInfo; k: TensorInfo; v: TensorInfo; qSeqIdx?: TensorInfo; kSeqIdx?: TensorInfo };
    attrs: { scale: number; causal: boolean };
    outputs: TensorInfo;
  };
  /**
   * One decode step of grouped-query attention over a static KV cache, in one kernel: RoPE of the new token's query
   * and key, the write of its key and value into the cache IN PLACE (like CacheWrite), and the attention of the
   * query over every cache slot. The result equals, exactly, this composition of the kernels above:
   *   q, k, v = qkv[b, offset : offset + (Hq + 2·Hkv)·Dh] split into Hq, Hkv and Hkv heads of Dh (in that order:
   *             [q | k | v] along the last axis; the row's other columns are not read)
   *   q, k    = Rope(q), Rope(k) at positions[b]          (the Rope entry's f32 angles; rounded to the dtype)
   *   CacheWrite(keys, k, slots); CacheWrite(values, v, slots)       (a row whose slot is outside [0, L): no write)
   *   o       = Attention(q, keys, values, scale, causal, qSeqIdx, kSeqIdx)   with T = 1, S = L
   *   out     = Concat([prefix, o], last axis)        (o alone without a prefix; the prefix is copied, not rounded)
   * i.e. the query is the last position (causality hides no slot) and slot j is visible iff
   * kSeqIdx[b, j] = qSeqIdx[b] — empty slots hold −1; the caller has written this step's document ids into
   * kSeqIdx already. Softmax in ≥ f32; a query with no visible slot outputs zeros. A backend must make the attention
   * read the new key and value of row b at slot slots[b] (e.g. from registers rather than from the cache).
   * qkv [B, W] with W ≥ offset + (Hq + 2·Hkv)·Dh (any float dtype; k carries whatever multiplier the caller folded
   * in; offset a non-negative integer, 0 for a projection of q|k|v alone), positions i32 [B], keys and values
   * [B, L, Hkv, Dh] (qkv's dtype), slots i32 [B] or [1] (one slot for every row), qSeqIdx i32 [B], kSeqIdx i32
   * [B, L], prefix? [B, C] (qkv's dtype; e.g. the gated SSM output that a merged out-projection reads in front of
   * the heads); Hq divisible by Hkv, Dh even. Output [B, C + Hq·Dh] = [prefix | o] in qkv's dtype (C = 0 without a
   * prefix). Decode only: no gradient.
   */
  AttentionDecodeStep: {
    inputs: {
      qkv: TensorInfo;
      positions: TensorInfo;
      keys: TensorInfo;
      values: TensorInfo;
      slots: TensorInfo;
      qSeqIdx: TensorInfo;
      kSeqIdx: TensorInfo;
      prefix?: TensorInfo;
    };
    attrs: { heads: number; kvHeads: number; theta: number; scale: number; offset: number };
    outputs: TensorInfo;
  };
  /**
   * Falcon-H1's parallel mixers' decode step in one kernel: the SSM step and the attention step of one token, both
   * reading ONE packed row (the merged [in_proj ; q|k|v] projection), the SSM's gated output written in front of the
   * attention heads — the merged out-projection's input. Exactly this composition of the two entries above:
   *   y   = SsmDecodeStepInPlace(zxbcdt = qkv, convState, convWeight, convBias, ssmState, dtBias, A, D;
   *                              activation, gate = 'silu', dtMin, dtMax, offset = ssmOffset)
   *   out = AttentionDecodeStep(qkv, positions, keys, values, slots, qSeqIdx, kSeqIdx, prefix = y;
   *                             heads, kvHeads, theta, scale, offset = attentionOffset)
   * Both in-place updates happen (the conv and SSM states; the KV cache rows at slots). The two steps read and write
   * disjoint state and meet only in `out`, so a backend may run them side by side (the point of the fusion: the
   * attention's chain of cache round trips overlaps the SSM step's state traffic). Inputs and dtype rules as the two
   * entries' (ssmState f32 or a 16-bit state, as SsmDecodeStep's; the gate is 'silu', so y and the heads share qkv's
   * dtype); qkv [B, W] with W ≥ both steps' columns.
   * Output [B, dSsm + Hq·Dh] = [y | o] in qkv's dtype. Decode only: no gradient.
   */
  ParallelMixersDecodeStep: {
    /** qkv; SsmDecodeStep's convState, convWeight, convBias?, ssmState, dtBias, A, D?; AttentionDecodeStep's positions,
     * keys, values, slots, qSeqIdx, kSeqIdx. */
    inputs: { qkv: TensorInfo } & Omit<FusedKernels['SsmDecodeStep']['inputs'], 'zxbcdt'> &
      Omit<FusedKernels['AttentionDecodeStep']['inputs'], 'qkv' | 'prefix'>;
    attrs: {
      activation: ConvActivation;
      dtMin: number;
      dtMax: number;
      ssmOffset: number;
      heads: number;
      kvHeads: number;
      theta: number;
      scale: number;
      attentionOffset: number;
    };
    outputs: TensorInfo;
  };
  AttentionGrad: {
    inputs: {
      dy: TensorInfo;
      q: TensorInfo;
      k: TensorInfo;
      v: TensorInfo;
      qSeqIdx?: TensorInfo;
      kSeqIdx?: TensorInfo;
    };
    attrs: { scale: number; causal: boolean };
    outputs: { dq: TensorInfo; dk: TensorInfo; dv: TensorInfo };
  };

  /**
   * Per-row cross-entropy of logits [R, V] against labels i32 [R]: loss[r] = logsumexp(logits[r]) − logits[r, label]
   * in ≥ f32; rows whose label equals `ignoreIndex` give 0. Output losses [R] as f32 (f64 for f64 logits).
   */
  CrossEntropy: {
    inputs: { logits: TensorInfo; labels: TensorInfo };
    attrs: { ignoreIndex: number };
    outputs: TensorInfo;
  };
  /** dlogits[r] = dloss[r] · (softmax(logits[r]) − onehot(label[r])); ignored rows give 0. dloss [R] f32/f64. */
  CrossEntropyGrad: {
    inputs: { dloss: TensorInfo; logits: TensorInfo; labels: TensorInfo };
    attrs: { ignoreIndex: number };
    outputs: TensorInfo;
  };

  /**
   * Decoupled-weight-decay Adam (PyTorch's AdamW), IN PLACE on param, m and v (all one shape; m, v f32, or
   * f64 with an f64 param; param and grad one float dtype; the update is computed in ≥ f32 from the stored
   * m and v and rounded once into param):
   *   param ← param · (1 − lr·weightDecay)
   *   m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²
   *   param ← param − lr · (m / (1−β1^step)) / (√(v / (1−β2^step)) + eps)
   * `step` counts from 1. Returns nothing. The only kernel that writes into its inputs.
   */
  AdamW: {
    inputs: { param: TensorInfo; grad: TensorInfo; m: TensorInfo; v: TensorInfo };
    attrs: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number };
    outputs: undefined;
  };
  /**
   * AdamW on many tensors in one call (one launch on a GPU instead of one per parameter), IN PLACE: for every i,
   * exactly the AdamW update of params[i] with grads[i], m[i], v[i], lr[i] and weightDecay[i] (per-tensor, so
   * parameter groups with their own learning-rate / weight-decay multipliers share the call); beta1, beta2, eps
   * and step are common. The four lists have one length ≥ 1; params share one float dtype, each grad has its
   * param's shape and dtype, moments are f32 (f64 with f64 params). The results equal those of calling AdamW on
   * each tensor (same arithmetic, bit for bit). Returns nothing.
   */
  AdamWMulti: {
    inputs: { params: TensorInfo[]; grads: TensorInfo[]; m: TensorInfo[]; v: TensorInfo[] };
    attrs: {
      lr: readonly number[];
      weightDecay: readonly number[];
      beta1: number;
      beta2: number;
      eps: number;
      step: number;
    };
    outputs: undefined;
  };

  /**
   * Falcon-H1's gated MLP activation with its μP gate multiplier (transformers' FalconH1MLP, whose down projection
   * and down multiplier follow): y = up ⊙ silu(gate · gateMultiplier). gate, up [..., I] of one shape and dtype;
   * computed in ≥ f32 and rounded once to the dtype.
   */
  SwiGlu: { inputs: { gate: TensorInfo; up: TensorInfo }; attrs: { gateMultiplier: number }; outputs: TensorInfo };
  /**
   * With a = gate · gateMultiplier, in ≥ f32:  dup = dy ⊙ silu(a) ;  dgate = dy ⊙ up ⊙ silu'(a) · gateMultiplier,
   * silu'(a) = σ(a)·(1 + a·(1 − σ(a))). Outputs in the inputs' dtype.
   */
  SwiGluGrad: {
    inputs: { dy: TensorInfo; gate: TensorInfo; up: TensorInfo };
    attrs: { gateMultiplier: number };
    outputs: { dgate: TensorInfo; dup: TensorInfo };
  };
  /**
   * SwiGlu of one packed projection, for a decode step that runs gate_proj and up_proj as one product against the
   * stacked [gate_proj; up_proj] weight: gateUp [..., 2I] holds gate = gateUp[..., :I] and up = gateUp[..., I:] of
   * each row; y [..., I] = up ⊙ silu(gate · gateMultiplier), in gateUp's float dtype. Exactly SwiGlu's arithmetic
   * and rounding (≥ f32, rounded once), so the result equals SwiGlu(gate, up) bit for bit on a backend whose SwiGlu
   * computes the same way. Decode only: no backward kernel (a tape gets the composition's gradients).
   */
  SwiGluPacked: { inputs: { gateUp: TensorInfo }; attrs: { gateMultiplier: number }; outputs: TensorInfo };
  /**
   * SwiGluPacked and the bias-free down projection that reads it, in one kernel (a decode step's MLP after its one
   * gate|up product):
   *   h = SwiGluPacked(gateUp, gateMultiplier)               exactly the entry above, rounded to the dtype
   *   y = MatMul(h, weight, transposeA false, transposeB true)
   * gateUp [..., 2I], weight [N, I] (a Linear weight), one float dtype; y [..., N]. h is not stored: a backend
   * computes it exactly as its SwiGluPacked stores it, then the product as its MatMul does, so the result equals
   * SwiGluPacked followed by MatMul bit for bit on such a backend. Decode only: core differentiates the composition.
   */
  SwiGluPackedMatMul: {
    inputs: { gateUp: TensorInfo; weight: TensorInfo };
    attrs: { gateMultiplier: number };
    outputs: TensorInfo;
  };
  /**
   * A decode step's whole MLP after a pending residual add (SA_M's pre_ff_layernorm → [gate_proj ; up_proj] →
   * SwiGLU → down_proj), so a backend can fuse across both products (e.g. the activation as the gate|up product's
   * epilogue):
   *   sum, gateUp = AddRmsNormMatMul(x, residual, normWeight, gateUpWeight, eps)     exactly that entry
   *   y           = SwiGluPackedMatMul(gateUp, downWeight, gateMultiplier)           exactly that entry
   * x, residual [..., D], normWeight [D], gateUpWeight [2I, D] (gate rows then up rows), downWeight [N, I] (Linear
   * weights), one float dtype. Outputs sum [..., D] and y [..., N]; neither the normed rows, gateUp nor the
   * activation is returned. A backend rounds each intermediate to the dtype as those entries store it, so the result
   * equals AddRmsNormMatMul followed by SwiGluPackedMatMul bit for bit where the products sum in the same order.
   * Decode only: core differentiates the composition if asked.
   */
  AddRmsNormSwiGluMlp: {
    inputs: {
      x: TensorInfo;
      residual: TensorInfo;
      normWeight: TensorInfo;
      gateUpWeight: TensorInfo;
      downWeight: TensorInfo;
    };
    attrs: { eps: number; gateMultiplier: number };
    outputs: { sum: TensorInfo; y: TensorInfo };
  };

  /**
   * The language-model head and its cross-entropy in one kernel, so that the [R, V] logits are never stored whole
   * (backends process the vocabulary in chunks: an online logsumexp forward; a backward that recomputes each
   * chunk's logits and accumulates dhidden and dweight chunk by chunk). hidden [R, D], weight [V, D] (one float
   * dtype), labels i32 [R]:
   *   z = hidden · weightᵀ                       rounded to the dtype, as MatMul computes it
   *   loss[r] = logsumexp(scale · z[r]) − scale · z[r, label[r]]      in ≥ f32; 0 where label[r] = ignoreIndex
   * (CrossEntropy of scale · z, with the scale applied in ≥ f32). Output losses [R] f32 (f64 for f64 inputs).
   * `chunkSize` is a hint: the vocabulary rows per chunk (0: the backend chooses); any value gives the same
   * result up to rounding. A label outside [0, V) that is not ignoreIndex is an error.
   */
  LinearCrossEntropy: {
    inputs: { hidden: TensorInfo; weight: TensorInfo; labels: TensorInfo };
    attrs: { scale: number; ignoreIndex: number; chunkSize: number };
    outputs: TensorInfo;
  };
  /**
   * With p[r] = softmax(scale · z[r]) and g[r, j] = dloss[r] · (p[r, j] − onehot(label[r])_j) · scale (0 on ignored
   * rows), in ≥ f32:  dhidden = g · weight ;  dweight = gᵀ · hidden. dloss [R] f32 (f64 for f64); outputs in the
   * inputs' dtype. g is never stored whole either.
   */
  LinearCrossEntropyGrad: {
    inputs: { dloss: TensorInfo; hidden: TensorInfo; weight: TensorInfo; labels: TensorInfo };
    attrs: { scale: number; ignoreIndex: number; chunkSize: number };
    outputs: { dhidden: TensorInfo; dweight: TensorInfo };
  };
}

export type PrimitiveKernelName = keyof PrimitiveKernels;
export type FusedKernelName = keyof FusedKernels;
export interface KernelSpecs extends PrimitiveKernels, FusedKernels {}
export type KernelName = keyof KernelSpecs;

export type KernelInputs<K extends KernelName> = KernelSpecs[K]['inputs'];
export type KernelAttrs<K extends KernelName> = KernelSpecs[K]['attrs'];
export type KernelOutputs<K extends KernelName> = KernelSpecs[K]['outputs'];

/** A backend's implementation of one kernel. Synchronous: asynchronous backends enqueue work and return handles. */
export type KernelFunc<K extends KernelName> = (inputs: KernelInputs<K>, attrs: KernelAttrs<K>) => KernelOutputs<K>;

export const PRIMITIVE_KERNELS: readonly PrimitiveKernelName[] = [
  ...UNARY_KERNELS,
  ...BINARY_KERNELS,
  ...COMPARE_KERNELS,
  'Scale',
  'Clamp',
  'Where',
  ...REDUCE_KERNELS,
  'ArgMax',
  'CumSum',
  'MatMul',
  'Cast',
  'Copy',
  'Slice',
  'Concat',
  'Transpose',
  'Fill',
  'Gather',
  'ScatterAdd',
];

export const FUSED_KERNELS: readonly FusedKernelName[] = [
  'Softmax',
  'SoftmaxGrad',
  'RmsNorm',
  'RmsNormGrad',
  'AddRmsNorm',
  'AddRmsNormMatMul',
  'RmsNormGated',
  'RmsNormGatedGrad',
  'Rope',
  'CausalConv1d',
  'CausalConv1dGrad',
  'CausalConv1dUpdate',
  'SsmScan',
  'SsmScanGrad',
  'SsmStep',
  'SsmDecodeStep',
  'SsmDecodeStepInPlace',
  'CacheWrite',
  'Attention',
  'AttentionGrad',
  'AttentionDecodeStep',
  'ParallelMixersDecodeStep',
  'CrossEntropy',
  'CrossEntropyGrad',
  'AdamW',
  'AdamWMulti',
  'SwiGlu',
  'SwiGluGrad',
  'SwiGluPacked',
  'SwiGluPackedMatMul',
  'AddRmsNormSwiGluMlp',
  'LinearCrossEntropy',
  'LinearCrossEntropyGrad',
];

/** The kernels a backend provides: every primitive, any subset of the fused kernels. */
export type KernelTable = { [K in PrimitiveKernelName]: KernelFunc<K> } & { [K in FusedKernelName]?: KernelFunc<K> };

// ---------------------------------------------------------------------------------------------------------------
// The Backend interface
// ---------------------------------------------------------------------------------------------------------------

export interface BackendCapabilities {
  /** Dtypes the backend stores and computes with. Every backend supports f32, i32 and u8. */
  readonly dtypes: readonly DType[];
  /** Whether `readSync` works (WebGPU: no). */
  readonly syncReadback: boolean;
  /** Largest single buffer in bytes, if limited (e.g. a WebGPU storage binding, the 4 GB wasm heap). */
  readonly maxBufferBytes?: number;
}

export interface BackendMemoryInfo {
  /** Live buffers owned by the backend. */
  readonly buffers: number;
  /** Bytes in those buffers (excluding any allocator cache). */
  readonly bytes: number;
}

/**
 * What a backend implements. Memory: `write` uploads, `read`/`readSync` download, `disposeData` frees.
 * Kernels: `kernels`. Limits: `supportsKernel`. The engine in core-tensor owns tensors, scopes, reference
 * counting and autograd; a backend only sees TensorInfos and buffers.
 */
export interface Backend {
  /** Version of this contract the backend was written against. */
  readonly apiVersion: 1;
  /** Registry name, e.g. 'reference', 'wasm', 'webgpu', 'cuda'. */
  readonly name: string;
  /** Human description of the device, e.g. 'NVIDIA H100 80GB HBM3 (sm_90)'. */
  readonly device: string;
  readonly capabilities: BackendCapabilities;
  readonly kernels: KernelTable;

  /** Creates a buffer holding `values` (storage form: 16-bit floats as raw bits) for a tensor of `shape`/`dtype`. */
  write(values: StorageArray, shape: readonly number[], dtype: DType): DataId;
  /** Downloads a buffer in storage form. */
  read(info: TensorInfo): Promise<StorageArray>;
  /** Synchronous download, where `capabilities.syncReadback`. */
  readSync?(info: TensorInfo): StorageArray;
  /** Frees a buffer. Called exactly once per DataId, when its last tensor is disposed. */
  disposeData(dataId: DataId): void;
  memory(): BackendMemoryInfo;
  /**
   * Whether a registered fused kernel handles these particular inputs (true) or why not (a string naming the
   * limit, e.g. 'd_state must be 128 or 256'); core then uses the composition. Absent means "always".
   */
  supportsKernel?<K extends FusedKernelName>(name: K, inputs: KernelInputs<K>, attrs: KernelAttrs<K>): true | string;
  /** Waits until all enqueued work is done (asynchronous backends). */
  synchronize?(): Promise<void>;
  /** Releases every resource; the backend is unusable afterwards. */
  dispose?(): void;
  /**
   * Optional: copies `source`'s contents into `target`'s existing buffer (same dtype and size), enqueued in order
   * with the kernels. Graph capture needs it: a replayed graph reads and writes the same buffers every time, so state
   * carried from one replay to the next (caches, the next token) must be updated in place. Core's `overwrite` uses
   * it and falls back to giving the variable a new buffer elsewhere.
   */
  overwrite?(target: TensorInfo, source: TensorInfo): void;
  /** Optional: records enqueued work into a replayable graph (CUDA Graphs), for core's `captureGraph`. */
  readonly graphs?: BackendGraphCapture;
  /** Optional: collective communication between processes (NCCL), for @falcon-h1/parallelism's communicator. */
  readonly collectives?: BackendCollectives;
}

/** Reductions of `BackendCollectives.allReduce` / `reduceScatter` (NCCL's ncclSum, ncclMax, ncclMin, ncclAvg). */
export type CollectiveReduceOp = 'sum' | 'max' | 'min' | 'avg';

/**
 * Collectives between processes, one device each (NCCL's model). A communicator is an integer handle made by
 * `init` — every member calls it with the same `uniqueId` (made by one of them and shared out of band) — or by
 * `split`. Operations are enqueued in order with the kernels and return at once; every member must issue the same
 * operations on a communicator in the same order. Inputs are never modified: each result is a new buffer.
 * Tensors are flat row-major buffers: `reduceScatter` gives rank r slice r of the input's elements, `allGather`
 * concatenates the ranks' elements in rank order.
 */
export interface BackendCollectives {
  /** A fresh communicator id (NCCL's 128-byte ncclUniqueId). */
  uniqueId(): Uint8Array;
  /** Joins the communicator `id` as `rank` of `worldSize`; blocks until every member has joined. */
  init(id: Uint8Array, rank: number, worldSize: number): number;
  allReduce(comm: number, x: TensorInfo, op?: CollectiveReduceOp): TensorInfo;
  /** x [worldSize·n, …] → this rank's slice [n, …] of the reduction. */
  reduceScatter(comm: number, x: TensorInfo, op?: CollectiveReduceOp): TensorInfo;
  /** x [n, …] → [worldSize·n, …]. */
  allGather(comm: number, x: TensorInfo): TensorInfo;
  broadcast(comm: number, x: TensorInfo, root: number): TensorInfo;
  send(comm: number, x: TensorInfo, peer: number): void;
  recv(comm: number, shape: readonly number[], dtype: DType, peer: number): TensorInfo;
  /** Fuses the operations issued until `groupEnd` (NCCL's ncclGroupStart/ncclGroupEnd). */
  groupStart(): void;
  groupEnd(): void;
  /** Optional (NCCL ≥ 2.18): a collective of the group; members with the same color form a communicator. */
  split?(comm: number, color: number, key: number): number;
  destroy(comm: number): void;
}

/**
 * Graph capture (CUDA Graphs and the like): between `begin` and `end` the backend records the kernels it is asked
 * to run instead of running them; `replay` runs the recorded work again on the same buffers. While capturing, the
 * backend refuses uploads, downloads and synchronisation (they cannot be replayed), and the buffers freed during
 * capture stay reserved for the graph until `release` (its replays still use them).
 */
export interface BackendGraphCapture {
  begin(): void;
  /** Ends the capture; returns the graph's handle. */
  end(): number;
  /** Enqueues one replay of the graph. */
  replay(graph: number): void;
  /** Frees the graph and the buffers it holds. */
  release(graph: number): void;
}

export type BackendFactory = () => Backend | Promise<Backend>;

/**
 * What a backend package exports so tools load it by module name (the conformance CLI's `--backend-module`,
 * the apps' `--backend`): its registry name and a factory. A factory that cannot start (no GPU, no Vulkan,
 * no CUDA driver) throws an Error whose message says why.
 */
export interface BackendModule {
  readonly backendName: string;
  createBackend(): Backend | Promise<Backend>;
}

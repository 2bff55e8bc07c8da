/**
 * The Mamba2 selective scan composed from primitives: the chunked SSD ("state space duality") of Mamba2, as
 * transformers' torch_forward computes it, plus document boundaries (seqIdx) as mamba_ssm handles them.
 *
 * Per head h (group g = floor(h / (H/G))), with a_t = dt_t·A_h, X_t = dt_t·x_t and, inside each chunk of Q
 * tokens, A_i = Σ_{j≤i} a_j (inclusive cumulative sum):
 *   1. intra-chunk (diagonal blocks): Y_i = Σ_{j≤i} (C_i·B_j) · exp(A_i − A_j) · X_j
 *   2. chunk states:                  S_c = Σ_j exp(A_{Q−1} − A_j) · X_j ⊗ B_j
 *   3. inter-chunk state passing:     S'_c = exp(A_{Q−1}^(c)) · S'_{c−1} + S_c,   S'_{−1} = initialState
 *   4. state to output:               Y_i += exp(A_i) · C_i·S'_{c−1};   then y = Y + D·x
 * finalState = S'_{last chunk}. T is padded with zeros to a whole number of chunks (dt = 0 there: no decay
 * and no input, so the state passes the padding unchanged) and the padded rows are sliced off.
 *
 * Document boundaries. The recurrence drops S_{t−1} wherever seqIdx_t ≠ seqIdx_{t−1}. With run ids
 * ρ_t = #{u ≤ t : seqIdx_u ≠ seqIdx_{u−1}} (one id per contiguous document; ρ_0 = 0, the run the initial state
 * belongs to), token j reaches token i iff ρ_j = ρ_i, hence:
 *   1. C_i·B_j counts only within a document (ρ_i = ρ_j);
 *   2. a token contributes to its chunk's state only if it is in the chunk's last document;
 *   3. a state passes from the end of chunk c′ to the end of chunk c only if the document of their last tokens
 *      is the same (the initial state counts as the end of chunk −1, in document ρ = 0);
 *   4. the state-to-output term applies only to rows in the document of the previous chunk's last token.
 * Masked exponents are set to −1e30 BEFORE exp (exp → 0), never masked after: exp of a masked positive
 * exponent could overflow and its gradient (0 · ∞) would be NaN.
 *
 * Dtypes: everything computes in f32 (f64 for f64 inputs): dt, A, cumulative sums, C·B and states; y is
 * rounded to dt's dtype (x's, or f32 when 16-bit x/B/C come with f32 dt/A/D), finalState stays f32 (f64).
 */
import type { DType } from '../dtype.js';
import { tidy } from '../engine.js';
import type { Composition } from '../fused-dispatch.js';
import type { Backend } from '../kernel-contract.js';
import { fill, tensor, zeros } from '../ops/create.js';
import { add, equal, exp, mul, notEqual, sub, where } from '../ops/elementwise.js';
import { cast, concat, copy, sliceAxis, transpose } from '../ops/layout.js';
import { matmul } from '../ops/matmul.js';
import { cumsum, sum } from '../ops/reduce.js';
import { expandDims, reshape } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';
import { computeDType, narrow, widen } from './precision.js';

/** The exponent of a masked term: exp gives exactly 0 and the value stays finite. */
const MASKED_EXPONENT = -1e30;

/** u8 [n, n], 1 where column ≤ row (a causal mask; it depends only on n, so it is built on the host). */
function lowerTriangle(n: number, backend: Backend): Tensor {
  const values = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) values[i * n + j] = 1;
  return tensor(values, [n, n], 'u8', backend);
}

/** exp(exponent) where every mask holds, 0 elsewhere (the exponent is replaced before exp). */
function maskedExp(exponent: Tensor, masks: readonly (Tensor | undefined)[]): Tensor {
  let e = exponent;
  const masked = fill([], MASKED_EXPONENT, exponent.dtype, exponent.backend);
  for (const mask of masks) if (mask) e = where(mask, e, masked);
  return exp(e);
}

/** x with zeros appended along axis 1 up to `length`. */
function padTime(x: Tensor, length: number): Tensor {
  const t = x.shape[1]!;
  if (t === length) return x;
  const shape = [...x.shape];
  shape[1] = length - t;
  return concat([x, zeros(shape, x.dtype, x.backend)], 1);
}

/** Run ids ρ [B, length] in `dtype`: the number of document changes up to each token (padding continues the last run). */
function runIds(seqIdx: Tensor, length: number, dtype: DType): Tensor {
  const [b, t] = seqIdx.shape as [number, number];
  const first = zeros([b, 1], dtype, seqIdx.backend);
  if (t === 1) return cumsum(padTime(first, length), 1);
  const changes = cast(notEqual(sliceAxis(seqIdx, 1, 1, t - 1), sliceAxis(seqIdx, 1, 0, t - 1)), dtype);
  return cumsum(padTime(concat([first, changes], 1), length), 1);
}

export const composeSsmScan: Composition<'SsmScan'> = (inputs, { chunkSize }) =>
  tidy(() => {
    const { x, dt, A, Bm, Cm, D, initialState, seqIdx } = inputs;
    const [b, t, h, p] = x.shape as [number, number, number, number];
    const [, , g, n] = Bm.shape as [number, number, number, number];
    const r = h / g;
    const dtype = computeDType(x.dtype);
    const backend = x.backend;
    if (t === 0) {
      const finalState = initialState ? copy(widen(initialState)) : zeros([b, h, p, n], dtype, backend);
      return { y: zeros(x.shape, dt.dtype, backend), finalState };
    }
    // Chunks of q tokens (a chunk longer than T gives the same result as one of T tokens).
    const q = Math.min(chunkSize, t);
    const nc = Math.ceil(t / q);
    const padded = nc * q;

    // Chunked layouts [B, G, r, nc, Q, ·]: heads split into G groups of r, time into nc chunks of Q.
    const xc = transpose(reshape(padTime(widen(x), padded), [b, nc, q, g, r, p]), [0, 3, 4, 1, 2, 5]);
    const dtc = transpose(reshape(padTime(widen(dt), padded), [b, nc, q, g, r]), [0, 3, 4, 1, 2]);
    const groupLayout = (m: Tensor): Tensor =>
      reshape(transpose(reshape(padTime(widen(m), padded), [b, nc, q, g, n]), [0, 3, 1, 2, 4]), [b, g, 1, nc, q, n]);
    const Bc = groupLayout(Bm); // [B, G, 1, nc, Q, N]
    const Cc = groupLayout(Cm); // [B, G, 1, nc, Q, N]
    const aCum = cumsum(mul(dtc, reshape(widen(A), [g, r, 1, 1])), -1); // A_i [B, G, r, nc, Q]
    const X = mul(xc, expandDims(dtc, -1)); // dt·x [B, G, r, nc, Q, P]
    const aLast = sliceAxis(aCum, -1, q - 1, 1); // A_{Q−1} [B, G, r, nc, 1]

    // Document runs: ρ per token [B, 1, 1, nc, Q], of each chunk's last token, and of the previous chunk's last
    // token (ρ = 0 before the first chunk: the initial state's run) [B, 1, 1, nc + 1].
    let run: Tensor | undefined;
    let runAtChunkEnds: Tensor | undefined;
    if (seqIdx) {
      run = reshape(runIds(seqIdx, padded, dtype), [b, 1, 1, nc, q]);
      const lastRun = reshape(sliceAxis(run, -1, q - 1, 1), [b, 1, 1, nc]);
      runAtChunkEnds = concat([zeros([b, 1, 1, 1], dtype, backend), lastRun], -1);
    }

    // 1. Intra-chunk diagonal blocks: Y_i = Σ_{j ≤ i, same document} (C_i·B_j) · exp(A_i − A_j) · X_j.
    const segmentSum = sub(expandDims(aCum, -1), expandDims(aCum, -2)); // A_i − A_j [B, G, r, nc, Q, Q]
    const sameDocument = run && equal(expandDims(run, -1), expandDims(run, -2));
    const decay = maskedExp(segmentSum, [lowerTriangle(q, backend), sameDocument]);
    const CB = matmul(Cc, Bc, false, true); // C_i·B_j [B, G, 1, nc, Q, Q]
    const yDiagonal = matmul(mul(CB, decay), X); // [B, G, r, nc, Q, P]

    // 2. Chunk states: S_c = Σ_j exp(A_{Q−1} − A_j) · X_j ⊗ B_j over the tokens of the chunk's last document.
    const inLastDocument = run && runAtChunkEnds && equal(run, expandDims(sliceAxis(runAtChunkEnds, -1, 1, nc), -1));
    const decayToEnd = maskedExp(sub(aLast, aCum), [inLastDocument]); // [B, G, r, nc, Q]
    const states = matmul(mul(X, expandDims(decayToEnd, -1)), Bc, true, false); // [B, G, r, nc, P, N]

    // 3. Inter-chunk state passing, solved at once: with Λ_c = Σ_{c′ ≤ c} A_{Q−1}^(c′) (Λ_{−1} = 0),
    //    S'_c = Σ_{c′ ≤ c} exp(Λ_c − Λ_c′) · S_c′ over c′ = −1 (the initial state) … c, where the documents of the
    //    chunks' last tokens agree.
    const chunkDecay = cumsum(reshape(aLast, [b, g, r, nc]), -1);
    const Lambda = concat([zeros([b, g, r, 1], dtype, backend), chunkDecay], -1); // [B, G, r, nc + 1]
    const sameChunkDocument = runAtChunkEnds && equal(expandDims(runAtChunkEnds, -1), expandDims(runAtChunkEnds, -2));
    const passing = maskedExp(sub(expandDims(Lambda, -1), expandDims(Lambda, -2)), [
      lowerTriangle(nc + 1, backend),
      sameChunkDocument,
    ]); // [B, G, r, nc + 1, nc + 1]
    const start = initialState
      ? reshape(widen(initialState), [b, g, r, 1, p * n])
      : zeros([b, g, r, 1, p * n], dtype, backend);
    const allStates = concat([start, reshape(states, [b, g, r, nc, p * n])], 3); // S_{−1}, S_0 … [B, G, r, nc + 1, P·N]
    const passed = matmul(passing, allStates); // S'_{−1}, S'_0 … S'_{nc−1}
    const previousStates = reshape(sliceAxis(passed, 3, 0, nc), [b, g, r, nc, p, n]); // S'_{c−1} for chunk c
    const finalState = reshape(sliceAxis(passed, 3, nc, 1), [b, h, p, n]);

    // 4. State to output: Y_i += exp(A_i) · C_i·S'_{c−1}, for rows in the document of the previous chunk's end.
    const continues = run && runAtChunkEnds && equal(run, expandDims(sliceAxis(runAtChunkEnds, -1, 0, nc), -1));
    const decayFromStart = maskedExp(aCum, [continues]); // [B, G, r, nc, Q]
    const yOffDiagonal = mul(matmul(Cc, previousStates, false, true), expandDims(decayFromStart, -1));

    // Back to [B, T, H, P], plus the D skip connection.
    const yChunked = add(yDiagonal, yOffDiagonal);
    let y = sliceAxis(reshape(transpose(yChunked, [0, 3, 4, 1, 2, 5]), [b, padded, h, p]), 1, 0, t);
    if (D) y = add(y, mul(widen(x), reshape(widen(D), [h, 1])));
    return { y: narrow(y, dt.dtype), finalState };
  });

/**
 * One decode step of the scan, in f32 (f64 for f64 inputs): state [B, H, P, N], x [B, H, P], dt [B, H], A [H],
 * Bm, Cm [B, G, N], D [H]?
 *   state' = exp(dt·A)·state + dt · x ⊗ Bm;   y = state'·Cm + D·x
 */
export const composeSsmStep: Composition<'SsmStep'> = ({ state, x, dt, A, Bm, Cm, D }) =>
  tidy(() => {
    const [b, h, p] = x.shape as [number, number, number];
    const [, g, n] = Bm.shape as [number, number, number];
    const r = h / g;
    const xw = widen(x);
    const dtw = reshape(widen(dt), [b, g, r, 1, 1]);
    const decay = exp(mul(dtw, reshape(widen(A), [g, r, 1, 1]))); // exp(dt·A) [B, G, r, 1, 1]
    const input = mul(mul(reshape(xw, [b, g, r, p, 1]), dtw), reshape(widen(Bm), [b, g, 1, 1, n])); // dt·x⊗B
    const next = add(mul(decay, reshape(widen(state), [b, g, r, p, n])), input); // [B, G, r, P, N]
    let y = reshape(sum(mul(next, reshape(widen(Cm), [b, g, 1, 1, n])), -1), [b, h, p]);
    if (D) y = add(y, mul(xw, reshape(widen(D), [h, 1])));
    return { y: narrow(y, x.dtype), state: reshape(next, [b, h, p, n]) };
  });

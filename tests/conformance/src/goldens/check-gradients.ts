/**
 * Training-side goldens (issue #8 §1): the gradient of the loss with respect to every parameter, through the tape —
 * embedding, norms, conv1d, the SSD scan, attention, the multipliers, the head, cross-entropy — against the float64
 * gradients transformers computed (`golden.grads.safetensors`, `grad.<parameter>`), one row per parameter, and, on a
 * packed fixture, the gradients of ONE packed batch against those of its documents run alone:
 *
 *   packed loss = Σ_d n_d · loss_d / Σ_d n_d       (n_d: the next-token pairs of document d, d's mean loss loss_d)
 *   so  ∇ packed = Σ_d (n_d / Σ n) · ∇ loss_d       — equal only if no document sees another (the SSM state reset,
 *                                                    the conv and attention masks, the loss's boundary pairs).
 * Gradients are checked in f32 and f64 runs (16-bit gradients of a whole model are not comparable element-wise to a
 * float64 golden at a meaningful bound).
 */
import { add, type Backend, dispose, scale, type Tensor, tensor, tidy, valueAndGrads } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import { compareValues, TOLERANCE } from '../compare.js';
import type { CaseResult, FloatDType } from '../run-case.js';
import type { GoldenFixture, GoldenTensor } from './golden-fixture.js';

/** Issue #8's bound for every parameter's gradient against transformers in f32 (f64 runs use the f64 bound). */
export const GRADIENT_TOLERANCE_F32 = 1e-4;

type Row = (
  what: string,
  fields: Pick<CaseResult, 'relL2' | 'maxRelError' | 'tolerance' | 'ms'> & { problem?: string },
) => CaseResult;

function gradientTolerance(dtype: FloatDType): number {
  return dtype === 'f64' ? TOLERANCE.f64 : GRADIENT_TOLERANCE_F32;
}

/** Every parameter's gradient of the fixture's loss against golden.grads: one row per parameter. */
export async function checkGradients(
  model: FalconH1ForCausalLM,
  fixture: GoldenFixture,
  grads: ReadonlyMap<string, GoldenTensor>,
  dtype: FloatDType,
  backend: Backend,
  row: Row,
): Promise<CaseResult[]> {
  const names = [...model.parameters.keys()];
  const started = performance.now();
  const ids = tensor(fixture.inputIds.values, fixture.inputIds.shape, 'i32', backend);
  const { value, grads: got } = valueAndGrads(
    () => model.loss(ids),
    names.map((n) => model.parameters.get(n)!),
  );
  const ms = performance.now() - started;
  try {
    const results: CaseResult[] = [];
    for (let i = 0; i < names.length; i++) {
      const want = grads.get(`grad.${names[i]}`);
      const what = `grad.${names[i]}`;
      if (!want) {
        results.push(
          row(what, {
            relL2: Infinity,
            maxRelError: Infinity,
            tolerance: gradientTolerance(dtype),
            ms: 0,
            problem: `golden.grads.safetensors has no 'grad.${names[i]}'`,
          }),
        );
        continue;
      }
      const cmp = compareValues((await got[i]!.data()) as ArrayLike<number>, want.values, false);
      results.push(
        row(what, {
          relL2: cmp.relL2,
          maxRelError: cmp.maxRelError,
          tolerance: gradientTolerance(dtype),
          ms: i === 0 ? ms : 0,
          problem: cmp.problem,
        }),
      );
    }
    return results;
  } finally {
    dispose([ids, value, ...got]);
  }
}

/** The documents of a packed batch: row, first token, length (runs of equal document ids). */
function documentsOf(seqIdx: GoldenTensor): Array<{ row: number; start: number; length: number }> {
  const [b, t] = seqIdx.shape as [number, number];
  const out: Array<{ row: number; start: number; length: number }> = [];
  for (let r = 0; r < b; r++) {
    let start = 0;
    for (let i = 1; i <= t; i++) {
      if (i === t || Number(seqIdx.values[r * t + i]) !== Number(seqIdx.values[r * t + i - 1])) {
        out.push({ row: r, start, length: i - start });
        start = i;
      }
    }
  }
  return out;
}

/** One packed batch's parameter gradients against the token-weighted gradients of its documents run alone. */
export async function checkPackedGradients(
  model: FalconH1ForCausalLM,
  fixture: GoldenFixture,
  dtype: FloatDType,
  backend: Backend,
  row: Row,
): Promise<CaseResult> {
  const seqIdx = fixture.seqIdx!;
  const [, t] = seqIdx.shape as [number, number];
  const params = [...model.parameters.values()];
  const started = performance.now();
  const ids = tensor(fixture.inputIds.values, fixture.inputIds.shape, 'i32', backend);
  const packed = valueAndGrads(() => model.loss(ids, { seqIdx: seqIdx.values }), params);
  ids.dispose();
  const documents = documentsOf(seqIdx).filter((d) => d.length >= 2); // a one-token document has no pair
  const pairs = documents.reduce((n, d) => n + d.length - 1, 0);
  let sum: Tensor[] | undefined;
  for (const d of documents) {
    const values = Array.from({ length: d.length }, (_, i) => Number(fixture.inputIds.values[d.row * t + d.start + i]));
    const alone = tensor(values, [1, d.length], 'i32', backend);
    const { value, grads } = valueAndGrads(() => model.loss(alone), params);
    alone.dispose();
    value.dispose();
    const weight = (d.length - 1) / pairs;
    const previous = sum;
    sum = tidy(() => grads.map((g, i) => (previous ? add(previous[i]!, scale(g, weight)) : scale(g, weight))));
    dispose([...grads, ...(previous ?? [])]);
  }
  const ms = performance.now() - started;
  let worst = 0;
  let worstMax = 0;
  let problem: string | undefined;
  let worstName = '';
  const names = [...model.parameters.keys()];
  for (let i = 0; i < params.length; i++) {
    const cmp = compareValues(
      (await packed.grads[i]!.data()) as ArrayLike<number>,
      (await sum![i]!.data()) as ArrayLike<number>,
      false,
    );
    if (cmp.problem) problem ??= `${names[i]}: ${cmp.problem}`;
    if (cmp.relL2 > worst) [worst, worstName] = [cmp.relL2, names[i]!];
    worstMax = Math.max(worstMax, cmp.maxRelError);
  }
  dispose([packed.value, ...packed.grads, ...(sum ?? [])]);
  return row(`gradients (packed vs ${documents.length} documents alone; worst ${worstName})`, {
    relL2: worst,
    maxRelError: worstMax,
    // Both sides are f32 gradients of the same backend summed in different orders (one packed batch vs documents
    // of different lengths): the gradient bound applies, as for the golden gradients.
    tolerance: gradientTolerance(dtype),
    ms,
    problem,
  });
}

/**
 * One optimizer step: forward and backward over each micro-batch (gradient accumulation weighted by the pairs each
 * counts, so the result is the gradient of the mean loss over the whole batch), global-norm clipping, and AdamW at
 * the scheduled learning rate. Every tensor made here is freed before it returns; the parameters and the
 * optimizer's moments are updated in place.
 */
import {
  type AdamW,
  clipGradNorm,
  dispose,
  GradAccumulator,
  globalGradNorm,
  type Tensor,
  tensor,
  tidy,
  valueAndGrads,
} from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import { countedPairs, type Rows, sliceRows } from './packed-rows.js';

export interface StepResult {
  /** Mean loss over the batch's counted pairs. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** False when the gradient had an inf or NaN: the update was skipped. */
  applied: boolean;
}

/**
 * The update from the batch's gradients (in `optimizer.parameters` order; disposed here): global-norm clipping (or
 * just the norm, `clipNorm` 0), then AdamW at `lr` — skipped when the gradient has an inf or NaN.
 */
export async function clipAndStep(
  optimizer: AdamW,
  gradients: Tensor[],
  lr: number,
  clipNorm: number,
): Promise<Omit<StepResult, 'loss'>> {
  let grads = gradients;
  try {
    let gradNorm: number;
    let applied = true;
    if (clipNorm > 0) {
      const clipped = await clipGradNorm(grads, clipNorm);
      dispose(grads);
      grads = clipped.grads;
      gradNorm = clipped.norm;
      applied = clipped.finite;
    } else {
      gradNorm = await globalGradNorm(grads);
      applied = Number.isFinite(gradNorm);
    }
    if (applied) {
      optimizer.lr = lr;
      optimizer.step(grads);
    }
    return { gradNorm, applied };
  } finally {
    dispose(grads);
  }
}

/** The loss of `rows` as a scalar tensor (a function of the parameters, for valueAndGrads). */
export function rowsLoss(model: FalconH1ForCausalLM, rows: Rows): Tensor {
  const ids = tensor(rows.inputIds, [rows.rows, rows.seqLen], 'i32');
  return model.loss(ids, { seqIdx: rows.seqIdx, positions: rows.positions });
}

export async function trainStep(
  model: FalconH1ForCausalLM,
  optimizer: AdamW,
  batch: Rows,
  microRows: number,
  lr: number,
  clipNorm: number,
): Promise<StepResult> {
  const parameters = optimizer.parameters;
  const accumulator = new GradAccumulator();
  let weightedLoss = 0;
  let weight = 0;
  let grads: Tensor[] = [];
  try {
    for (let first = 0; first < batch.rows; first += microRows) {
      const micro = sliceRows(batch, first, Math.min(microRows, batch.rows - first));
      const pairs = countedPairs(micro);
      const { value, grads: g } = tidy(() => valueAndGrads(() => rowsLoss(model, micro), parameters));
      const [loss] = await value.data();
      value.dispose();
      weightedLoss += Number(loss) * pairs;
      weight += pairs;
      if (microRows >= batch.rows) {
        grads = g;
      } else {
        accumulator.add(g, pairs);
        dispose(g);
      }
    }
    if (microRows < batch.rows) grads = accumulator.result();
    const summed = grads;
    grads = []; // clipAndStep owns (and disposes) them now
    const update = await clipAndStep(optimizer, summed, lr, clipNorm);
    return { loss: weightedLoss / weight, ...update };
  } finally {
    dispose(grads);
    accumulator.reset();
  }
}

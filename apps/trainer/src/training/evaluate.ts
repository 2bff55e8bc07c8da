/**
 * The held-out loss: the mean next-token loss over the evaluation batches' counted pairs (each batch's mean loss
 * weighted by its pairs), with no gradient tape.
 */
import { noGrad, tidy } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import { countedPairs, type Rows } from './packed-rows.js';
import { rowsLoss } from './train-step.js';

export async function heldOutLoss(model: FalconH1ForCausalLM, batches: readonly Rows[]): Promise<number> {
  let weighted = 0;
  let weight = 0;
  for (const batch of batches) {
    const loss = noGrad(() => tidy(() => rowsLoss(model, batch)));
    const [value] = await loss.data();
    loss.dispose();
    const pairs = countedPairs(batch);
    weighted += Number(value) * pairs;
    weight += pairs;
  }
  return weighted / weight;
}

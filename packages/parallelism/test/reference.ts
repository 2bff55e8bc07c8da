/**
 * The one-device reference every layout is compared with: transformers' loss (FalconH1ForCausalLM.loss, with
 * the document ids of a packed batch) and its gradient with respect to every parameter, in f64 on the reference
 * backend — and the comparison by relative L2 norm.
 */
import { readFileSync } from 'node:fs';
import '@falcon-h1/backend-reference';
import { adamW, dispose, type Variable, valueAndGrads, variable, zeros } from '@falcon-h1/core-tensor';
import { expect } from 'vitest';
import { batchIds, buildModel, byName, idsTensor, type ModelInput } from './world/model-setup.js';

/** f64 on both sides: only the order of summation differs. */
export const F64_TOLERANCE = 1e-12;

export function modelInput(packed: boolean, seed = 7): ModelInput {
  const configText = readFileSync(new URL('../../../tests/fixtures/tiny-a/config.json', import.meta.url), 'utf8');
  return { configText, seed, packed };
}

export interface Reference {
  loss: number;
  grads: Record<string, Float64Array>;
}

const references = new Map<string, Promise<Reference>>();

/** The reference of `input`, computed once per test file. */
export function oneDevice(input: ModelInput): Promise<Reference> {
  const key = JSON.stringify(input);
  let reference = references.get(key);
  if (!reference) {
    reference = computeOneDevice(input);
    references.set(key, reference);
  }
  return reference;
}

async function computeOneDevice(input: ModelInput): Promise<Reference> {
  const model = buildModel(input);
  const { ids, seqIdx } = batchIds(input);
  const batch = idsTensor(ids, seqIdx);
  const names = [...model.parameters.keys()];
  const { value, grads } = valueAndGrads(
    () => model.loss(batch.ids, { seqIdx: batch.seqIdx }),
    names.map((n) => model.parameters.get(n)!),
  );
  const loss = (await value.data())[0] as number;
  const byParameter = new Map(names.map((n, i) => [model.parameters.get(n)!, grads[i]!]));
  const out = { loss, grads: await byName(model, byParameter) };
  dispose([value, ...grads, batch.ids, ...(batch.seqIdx ? [batch.seqIdx] : [])]);
  model.dispose();
  return out;
}

/** Parameters after `steps` AdamW steps of the one-device model (and the loss before each step). */
export async function oneDeviceAdamW(
  input: ModelInput,
  steps: number,
  hyper: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number },
): Promise<{ losses: number[]; params: Record<string, Float64Array> }> {
  const model = buildModel(input);
  const { ids, seqIdx } = batchIds(input);
  const batch = idsTensor(ids, seqIdx);
  const parameters = [...model.parameters.values()];
  const moment = (p: Variable): Variable => {
    const z = zeros(p.shape, 'f64');
    const v = variable(z);
    z.dispose();
    return v;
  };
  const m = parameters.map(moment);
  const v = parameters.map(moment);
  const losses: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const { value, grads } = valueAndGrads(() => model.loss(batch.ids, { seqIdx: batch.seqIdx }), parameters);
    losses.push((await value.data())[0] as number);
    parameters.forEach((p, i) => {
      adamW(p, grads[i]!, m[i]!, v[i]!, { ...hyper, step });
    });
    dispose([value, ...grads]);
  }
  const params = await byName(model, 'parameters');
  dispose([...m, ...v, batch.ids, ...(batch.seqIdx ? [batch.seqIdx] : [])]);
  model.dispose();
  return { losses, params };
}

/** ‖got − want‖ / ‖want‖ (NaN anywhere gives Infinity). */
export function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} ≠ ${want.length}`);
  let d2 = 0;
  let w2 = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(g) || Number.isNaN(w)) return Number.POSITIVE_INFINITY;
    d2 += (g - w) ** 2;
    w2 += w * w;
  }
  return Math.sqrt(d2) / Math.max(Math.sqrt(w2), 1e-300);
}

/** Every named tensor of `got` against `want` (the same names), within `tolerance`; reports the worst. */
export function expectAllClose(
  got: Record<string, ArrayLike<number>>,
  want: Record<string, ArrayLike<number>>,
  tolerance = F64_TOLERANCE,
): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  let worst = 0;
  let worstName = '';
  for (const name of Object.keys(want)) {
    const err = relL2(got[name]!, want[name]!);
    if (!(err <= worst)) [worst, worstName] = [err, name];
  }
  expect(worst, `worst: ${worstName}`).toBeLessThanOrEqual(tolerance);
}

export function expectLossClose(got: number, want: number, tolerance = F64_TOLERANCE): void {
  expect(Math.abs(got - want) / Math.abs(want)).toBeLessThanOrEqual(tolerance);
}

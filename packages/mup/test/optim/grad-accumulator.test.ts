/**
 * Gradient accumulation gives the big-batch gradient: the tiny-a fixture model, its two golden rows as two
 * micro-batches of one row against one batch of two (equal weights), and with labels ignored in part of one row
 * (token-weighted), every parameter's gradient within 1e-5 relative L2 (f32), on the fixture's golden input ids.
 */
import { readFileSync } from 'node:fs';
import '@falcon-h1/backend-reference';
import {
  dispose,
  GradAccumulator,
  grads,
  parseSafetensors,
  storageToValues,
  type Tensor,
  tensor,
} from '@falcon-h1/core-tensor';
import { type FalconH1ForCausalLM, IGNORE_INDEX, loadFalconH1 } from '@falcon-h1/hybrid-block';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir, floats, relL2 } from '../helpers.js';

// The fixture's two golden rows of input ids, [2, 40].
const golden = parseSafetensors(readFileSync(`${fixtureDir('tiny-a')}/golden.safetensors`)).tensors.get('input_ids')!;
const T = golden.shape[1]!;
const ids = Array.from(storageToValues(golden.storage(), golden.dtype) as ArrayLike<number>);
const ROWS = [ids.slice(0, T), ids.slice(T)];

let model: FalconH1ForCausalLM;
beforeAll(async () => {
  model = await loadFalconH1(fixtureDir('tiny-a'));
});
afterAll(() => model.dispose());

function gradsOf(rows: number[][], labels?: number[][]): Tensor[] {
  const ids = tensor(rows.flat(), [rows.length, T], 'i32');
  const lab = labels ? tensor(labels.flat(), [rows.length, T], 'i32') : undefined;
  const out = grads(() => model.loss(ids, { labels: lab }), [...model.parameters.values()]);
  dispose([ids, lab]);
  return out;
}

async function worstError(got: Tensor[], want: Tensor[]): Promise<number> {
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, relL2(await floats(got[i]!), await floats(want[i]!)));
  return worst;
}

describe('GradAccumulator', () => {
  it('two micro-batches of one row give the gradient of the batch of two', { timeout: 60_000 }, async () => {
    const whole = gradsOf(ROWS);
    const acc = new GradAccumulator();
    for (const row of ROWS) {
      const g = gradsOf([row]);
      acc.add(g);
      dispose(g);
    }
    expect(acc.microBatches).toBe(2);
    const accumulated = acc.result();
    expect(await worstError(accumulated, whole)).toBeLessThan(1e-5);
    acc.reset();
    dispose([whole, accumulated]);
  });

  it('token-weighted accumulation when micro-batches count different numbers of tokens', {
    timeout: 60_000,
  }, async () => {
    // Row 1 ignores its last 15 labels: it counts T − 1 − 15 next-token pairs, row 0 counts T − 1.
    const labels = [ROWS[0]!, ROWS[1]!.map((id, t) => (t >= T - 15 ? IGNORE_INDEX : id))];
    const counted = [T - 1, T - 1 - 15];
    const whole = gradsOf(ROWS, labels);
    const acc = new GradAccumulator();
    ROWS.forEach((row, i) => {
      const g = gradsOf([row], [labels[i]!]);
      acc.add(g, counted[i]);
      dispose(g);
    });
    const accumulated = acc.result();
    expect(await worstError(accumulated, whole)).toBeLessThan(1e-5);
    // The plain average is NOT the big-batch gradient here (the check above is not vacuous).
    const plain = new GradAccumulator();
    ROWS.forEach((row, i) => {
      const g = gradsOf([row], [labels[i]!]);
      plain.add(g);
      dispose(g);
    });
    const averaged = plain.result();
    expect(await worstError(averaged, whole)).toBeGreaterThan(1e-2);
    acc.reset();
    plain.reset();
    dispose([whole, accumulated, averaged]);
  });

  it('keeps 16-bit gradients wide until asked to round them', async () => {
    const acc = new GradAccumulator();
    // The mean 1 + 2^-8 is not a bf16 value (spacing 2^-7 at 1): the f32 sum holds it, the bf16 result rounds to 1.
    const a = tensor([1], [1], 'bf16');
    const b = tensor([1 + 2 ** -7], [1], 'bf16');
    acc.add([a]);
    acc.add([b]);
    const [wide] = acc.result({ wide: true });
    const [rounded] = acc.result();
    expect(wide!.dtype).toBe('f32');
    expect(await floats(wide!)).toEqual([1 + 2 ** -8]);
    expect(rounded!.dtype).toBe('bf16');
    expect(await floats(rounded!)).toEqual([1]);
    acc.reset();
    dispose([a, b, wide, rounded]);
  });

  it('refuses mismatched micro-batches', () => {
    const acc = new GradAccumulator();
    const a = tensor([1, 2], [2], 'f32');
    const b = tensor([1, 2, 3], [3], 'f32');
    acc.add([a]);
    expect(() => acc.add([b])).toThrow(/gradient 0 is f32\[3\], earlier f32\[2\]/);
    expect(() => acc.add([a, a])).toThrow(/2 gradients/);
    expect(() => acc.add([a], 0)).toThrow(/weight/);
    acc.reset();
    expect(() => acc.result()).toThrow(/no micro-batch/);
    dispose([a, b]);
  });
});

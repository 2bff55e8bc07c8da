/** Dynamic loss scaling: unscaling, skipping on overflow with backoff, growth after clean steps. */
import '@falcon-h1/backend-reference';
import { allFinite, dispose, LossScaler, scalar, tensor } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { floats } from '../helpers.js';

describe('LossScaler', () => {
  it('scales the loss and unscales the gradients', async () => {
    const scaler = new LossScaler({ initialScale: 1024 });
    const loss = scalar(0.75, 'f32');
    const scaled = scaler.scaleLoss(loss);
    expect(await floats(scaled)).toEqual([768]);
    const g = tensor([2048, -512, 1], [3], 'f16');
    const { grads, finite } = await scaler.unscale([g]);
    expect(finite).toBe(true);
    expect(await floats(grads[0]!)).toEqual([2, -0.5, 1 / 1024]);
    dispose([loss, scaled, g, grads]);
  });

  it('an f16 overflow makes the step skipped and the scale back off; clean steps make it grow', async () => {
    const scaler = new LossScaler({ initialScale: 2 ** 16, growthInterval: 3 });
    // 70000 does not fit f16 (max 65504): the stored gradient is inf.
    const overflow = tensor([70000, 1], [2], 'f16');
    const { grads, finite } = await scaler.unscale([overflow]);
    expect(finite).toBe(false);
    scaler.update(finite);
    expect(scaler.scale).toBe(2 ** 15);
    expect(scaler.skippedSteps).toBe(1);
    for (let i = 0; i < 3; i++) scaler.update(true);
    expect(scaler.scale).toBe(2 ** 16);
    scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 2 ** 16, goodSteps: 1, skipped: 1 });
    const restored = new LossScaler();
    restored.loadState(scaler.state());
    expect(restored.state()).toEqual(scaler.state());
    dispose([overflow, grads]);
  });

  it('allFinite sees a NaN or an inf anywhere', async () => {
    const clean = [tensor([1, 2], [2], 'f32'), tensor([3e38, -3e38], [2], 'f32')];
    const nan = tensor([0, Number.NaN], [2], 'f32');
    expect(await allFinite(clean)).toBe(true);
    expect(await allFinite([...clean, nan])).toBe(false);
    dispose([clean, nan]);
  });

  it('refuses bad settings', () => {
    expect(() => new LossScaler({ backoffFactor: 1 })).toThrow(/backoffFactor/);
    expect(() => new LossScaler({ growthInterval: 0 })).toThrow(/growthInterval/);
  });
});

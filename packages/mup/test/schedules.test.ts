/** WSD values at its boundaries, batch-size ramps, √b learning-rate scaling, dt dampening. */
import { falconH1Preset } from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import {
  dtDampening,
  rampedBatchSize,
  sqrtBatchScaledLr,
  withDtDampening,
  wsdFactor,
  wsdLearningRate,
} from '../src/index.js';

describe('WSD schedule', () => {
  const options = { totalSteps: 100, warmupSteps: 10, decaySteps: 20, floorFactor: 0.1 };

  it('warms up linearly from the start factor, holds, decays to the floor at the last step', () => {
    expect(wsdFactor(0, options)).toBeCloseTo(0.1, 15); // (0 + 1)/10
    expect(wsdFactor(4, options)).toBeCloseTo(0.5, 15);
    expect(wsdFactor(9, options)).toBe(1);
    expect(wsdFactor(10, options)).toBe(1);
    expect(wsdFactor(79, options)).toBe(1);
    expect(wsdFactor(80, options)).toBeCloseTo(0.1 + 0.9 * (1 - 1 / 20), 15);
    expect(wsdFactor(89, options)).toBeCloseTo(0.1 + 0.9 * 0.5, 15);
    expect(wsdFactor(99, options)).toBeCloseTo(0.1, 15);
    expect(wsdFactor(150, options)).toBe(0.1);
    expect(wsdFactor(0, { ...options, startFactor: 0.5 })).toBeCloseTo(0.55, 15);
    expect(wsdLearningRate(50, 3e-4, options)).toBe(3e-4);
  });

  it('cosine and 1-sqrt decay shapes', () => {
    const cosine = { ...options, decay: 'cosine' as const, floorFactor: 0 };
    expect(wsdFactor(89, cosine)).toBeCloseTo(0.5, 12); // p = 1/2: (1 + cos π/2)/2
    expect(wsdFactor(84, cosine)).toBeCloseTo((1 + Math.cos(Math.PI / 4)) / 2, 12);
    const sqrt = { ...options, decay: '1-sqrt' as const, floorFactor: 0 };
    expect(wsdFactor(84, sqrt)).toBeCloseTo(0.5, 12); // p = 1/4
    expect(wsdFactor(99, sqrt)).toBe(0);
  });

  it('refuses inconsistent phases', () => {
    expect(() => wsdFactor(0, { totalSteps: 10, warmupSteps: 6, decaySteps: 6 })).toThrow(/exceed totalSteps/);
    expect(() => wsdFactor(0, { ...options, floorFactor: 2 })).toThrow(/floorFactor/);
    expect(() => wsdFactor(-1, options)).toThrow(/step/);
  });
});

describe('batch-size ramp', () => {
  const ramp = { start: 32, end: 128, increment: 32, rampAmount: 3000 };
  it('grows by one increment per rampAmount / increments consumed, then stays at the end', () => {
    expect(rampedBatchSize(0, ramp)).toBe(32);
    expect(rampedBatchSize(999, ramp)).toBe(32);
    expect(rampedBatchSize(1000, ramp)).toBe(64);
    expect(rampedBatchSize(2500, ramp)).toBe(96);
    expect(rampedBatchSize(3000, ramp)).toBe(128);
    expect(rampedBatchSize(1e9, ramp)).toBe(128);
    expect(rampedBatchSize(0, { ...ramp, start: 128 })).toBe(128);
  });
  it('refuses an end not reachable by increments', () => {
    expect(() => rampedBatchSize(0, { ...ramp, end: 100 })).toThrow(/not a multiple/);
  });
  it('scales the learning rate as √b', () => {
    expect(sqrtBatchScaledLr(1e-3, 16, 4)).toBeCloseTo(2e-3, 15);
  });
});

describe('dt dampening', () => {
  it('is the dt entry of ssm_multipliers', () => {
    const config = falconH1Preset('0.5B').config;
    expect(dtDampening(config)).toBe(config.ssm_multipliers[4]);
    const damped = withDtDampening(config, 0.125);
    expect(damped.ssm_multipliers).toEqual([...config.ssm_multipliers.slice(0, 4), 0.125]);
    expect(() => withDtDampening(config, 0)).toThrow(/factor/);
  });
});

/** log2 tables: parsing with clear errors, multipliers, forward sections, the seminar preset. */
import { falconH1Preset } from '@falcon-h1/hybrid-block';
import { describe, expect, it } from 'vitest';
import {
  applyForwardTable,
  forwardMultipliers,
  lrMultiplier,
  mergeMupTables,
  parseMupTableText,
  SEMINAR_STAGE_COUNT,
  seminarMupTable,
  seminarStages,
  wdMultiplier,
} from '../src/index.js';

describe('μP tables', () => {
  it('reads log2 entries into multipliers; absent entries are 1', () => {
    const table = parseMupTableText('{"lr": {"embedding": 1, "mixer_in_proj": -1.5}, "wd": {"norm_final": -3}}');
    expect(lrMultiplier(table, 'embedding')).toBe(2);
    expect(lrMultiplier(table, 'mixer_in_proj')).toBeCloseTo(0.3535533905932738, 15);
    expect(lrMultiplier(table, 'D')).toBe(1);
    expect(wdMultiplier(table, 'norm_final')).toBe(0.125);
    expect(wdMultiplier(table, 'embedding')).toBe(1);
    const merged = mergeMupTables(table, parseMupTableText('{"lr": {"embedding": 0}}'));
    expect(lrMultiplier(merged, 'embedding')).toBe(1);
    expect(lrMultiplier(merged, 'mixer_in_proj')).toBeCloseTo(0.3535533905932738, 15);
  });

  it('refuses bad tables, naming the source, the line and the field', () => {
    expect(() => parseMupTableText('{\n  "lr": {\n    "embedding": 1,\n  }\n}', 'stage3.json')).toThrow(
      /^stage3\.json:4:3: not valid JSON/,
    );
    expect(() => parseMupTableText('{"lr": {"mlp_upp": 1}}', 't.json')).toThrow(
      /t\.json: lr\.mlp_upp: unknown group; known: embedding/,
    );
    expect(() => parseMupTableText('{"forward": {"mlp_up": 1}}')).toThrow(
      /forward\.mlp_up: unknown forward multiplier/,
    );
    expect(() => parseMupTableText('{"lr": {"D": "1"}}')).toThrow(
      /lr\.D: must be a finite number \(a log2 value\), got "1"/,
    );
    expect(() => parseMupTableText('{"learning_rate": {}}')).toThrow(/learning_rate: unknown section/);
    expect(() => parseMupTableText('[1]')).toThrow(/must be a JSON object/);
  });

  it('the seminar preset: the log2 values the notes quote, which are the 0.5B config', () => {
    const table = seminarMupTable();
    // falcon-h1-reference.md §5: 2^2.5 embedding, 2^−1.5 z/B/dt, 2^−2 x, 2^−1 C.
    expect(table.forward.embedding).toBeCloseTo(2.5, 12);
    expect(table.forward.ssm_z).toBeCloseTo(-1.5, 12);
    expect(table.forward.ssm_B).toBeCloseTo(-1.5, 12);
    expect(table.forward.ssm_dt).toBeCloseTo(-1.5, 12);
    expect(table.forward.ssm_x).toBeCloseTo(-2, 12);
    expect(table.forward.ssm_C).toBeCloseTo(-1, 12);
    expect(table.lr).toEqual({});
    const stages = seminarStages();
    expect(stages.length).toBe(SEMINAR_STAGE_COUNT);
    expect(stages.map((s) => s.weightDecay)).toEqual(new Array(10).fill(0.1));
    expect(stages[9]!.batchTokens).toBe(4 * stages[0]!.batchTokens);
  });

  it('applies a forward table to a config (2^entry), keeping what the table leaves out', () => {
    const config = falconH1Preset('1.5B-Deep').config;
    const applied = applyForwardTable(config, { forward: { ssm_dt: -3, lm_head: -4 }, lr: {}, wd: {} });
    expect(applied.ssm_multipliers[4]).toBe(0.125);
    expect(applied.lm_head_multiplier).toBe(0.0625);
    const before = forwardMultipliers(config);
    const after = forwardMultipliers(applied);
    for (const key of Object.keys(before) as Array<keyof typeof before>) {
      if (key !== 'ssm_dt' && key !== 'lm_head') expect(after[key], key).toBe(before[key]);
    }
  });
});

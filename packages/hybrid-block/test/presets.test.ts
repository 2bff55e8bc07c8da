/** The six published sizes: parameter counts from the config alone, matching the technical report. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FALCON_H1_SIZES, falconH1ParameterCount, falconH1Preset, parseFalconH1ConfigJson } from '../src/index.js';
import { fixtureDir } from './fixtures.js';

/** Half a unit of the last digit the report prints (0.52B: 0.005B; 33.6B: 0.05B). */
function reportPrecision(reported: number): number {
  const billions = reported / 1e9;
  const decimals = billions < 10 ? 2 : 1;
  return 0.5 * 10 ** -decimals * 1e9;
}

describe('presets', () => {
  for (const size of FALCON_H1_SIZES) {
    it(`Falcon-H1-${size} has the reported parameter count`, () => {
      const preset = falconH1Preset(size);
      const count = falconH1ParameterCount(preset.config);
      expect(Math.abs(count - preset.reportedParameters)).toBeLessThanOrEqual(
        reportPrecision(preset.reportedParameters),
      );
    });
  }

  it('counts exactly what transformers counts for the fixtures (430248 and 134904 parameters)', () => {
    const count = (name: string) =>
      falconH1ParameterCount(parseFalconH1ConfigJson(readFileSync(`${fixtureDir(name)}/config.json`, 'utf8')));
    expect(count('tiny-a')).toBe(430248);
    expect(count('tiny-b')).toBe(134904);
  });

  it('exact totals, for the record', () => {
    expect(
      Object.fromEntries(FALCON_H1_SIZES.map((s) => [s, falconH1ParameterCount(falconH1Preset(s).config)])),
    ).toEqual({
      '0.5B': 521411104,
      '1.5B': 1554863488,
      '1.5B-Deep': 1554874768,
      '3B': 3149387264,
      '7B': 7585654880,
      '34B': 33642516224,
    });
  });
});

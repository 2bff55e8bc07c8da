/** The example mixture config stays valid: its sources pass validation and its mixture parses over their names. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MixtureSchedule, type SourceSpec } from '../src/index.js';
import { validateSourceSpec } from '../src/source-spec.js';

const EXAMPLE = new URL('../examples/falcon-h1-mixture.json', import.meta.url);

describe('examples/falcon-h1-mixture.json', () => {
  it('is a valid loader configuration whose web share goes from 25% to 12.35%', () => {
    const config = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { sources: SourceSpec[]; mixture: never };
    for (const source of config.sources) validateSourceSpec(source);
    const names = config.sources.map((s) => s.name);
    const schedule = new MixtureSchedule(names, config.mixture);
    const all = names.map(() => true);
    expect(schedule.weightsAt(0, all)[names.indexOf('web')]).toBeCloseTo(0.25, 12);
    expect(schedule.weightsAt(100_000, all)[names.indexOf('web')]).toBeCloseTo(0.1235, 12);
  });
});

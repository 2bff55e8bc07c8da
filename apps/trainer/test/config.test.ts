import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadTrainConfig, TrainConfigError, validateTrainConfig } from '../src/index.js';
import { ASSETS, removeTinyRuns, tinyRun, writeConfig } from './tiny-run.js';

afterAll(removeTinyRuns);

async function base(): Promise<Record<string, unknown>> {
  return (await tinyRun()).config;
}

function problems(json: unknown): string {
  try {
    validateTrainConfig(json, 'run.json');
  } catch (error) {
    expect(error).toBeInstanceOf(TrainConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('training config validation', () => {
  it('accepts the example configs and fills defaults', async () => {
    const { config } = loadTrainConfig(DEFAULT_CONFIG_PATH);
    expect(config.backend).toBe('auto');
    const examples = readdirSync(join(DEFAULT_CONFIG_PATH, '..')).filter((name) => name.endsWith('.json'));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const name of examples) loadTrainConfig(join(DEFAULT_CONFIG_PATH, '..', name));
    const c = validateTrainConfig(await base(), '/somewhere/run.json');
    expect(c.optimizer.betas).toEqual([0.9, 0.95]);
    expect(c.optimizer.clipGradNorm).toBe(1);
    expect(c.log.every).toBe(10);
    expect(c.schedule.decay).toBe('linear');
    expect(c.data.bos && c.data.eos).toBe(true);
    expect(c.batch.gradientCheckpointing).toBe(false);
    // Paths are resolved against the config file's directory.
    expect(c.out).toBe('/somewhere/run');
    expect(c.tokenizer).toBe('/somewhere/tokenizer.json');
  });

  it('names a field of the wrong type with its path', async () => {
    const json = await base();
    expect(problems({ ...json, optimizer: { lr: '0.1' } })).toMatch(
      /run\.json: invalid training config:\n {2}optimizer\.lr: .*expected number/,
    );
    expect(problems({ ...json, batch: { rows: 0 } })).toMatch(
      /batch\.rows: .*>0|batch\.rows: .*positive|batch\.rows: Too small/,
    );
    const sources = [{ name: 'x', kind: 'csv', paths: ['a'] }];
    expect(problems({ ...json, data: { ...(json.data as object), sources } })).toMatch(/data\.sources\[0\]\.kind: /);
  });

  it('batch.gradientCheckpointing: true, false or a whole number of layers', async () => {
    const json = await base();
    for (const ok of [true, false, 0, 2]) {
      expect(
        validateTrainConfig({ ...json, batch: { rows: 4, gradientCheckpointing: ok } }, 'run.json').batch,
      ).toMatchObject({ gradientCheckpointing: ok });
    }
    for (const bad of [-1, 1.5, 'yes']) {
      expect(problems({ ...json, batch: { rows: 4, gradientCheckpointing: bad } })).toMatch(
        /batch\.gradientCheckpointing: /,
      );
    }
  });

  it('refuses a misspelt key instead of ignoring it', async () => {
    expect(problems({ ...(await base()), optimiser: { lr: 1 } })).toMatch(/\(top level\): .*optimiser/);
    expect(problems({ ...(await base()), checkpoint: { evry: 5 } })).toMatch(/checkpoint: .*evry/);
  });

  it('names a missing required field', async () => {
    const { steps: _, ...json } = await base();
    expect(problems(json)).toMatch(/steps: .*expected number/);
  });

  it('wants exactly one of model.preset and model.config', async () => {
    const json = await base();
    expect(problems({ ...json, model: { preset: '0.5B', config: 'c.json' } })).toMatch(
      /model: give exactly one of preset and config/,
    );
    expect(problems({ ...json, model: {} })).toMatch(/model: give exactly one of preset and config/);
    expect(problems({ ...json, model: { preset: '2B' } })).toMatch(/model\.preset: /);
  });

  it('checks fields against each other', async () => {
    const json = await base();
    const data = json.data as Record<string, unknown>;
    expect(problems({ ...json, data: { ...data, mixture: { start: { licenses: 1, code: 2 } } } })).toMatch(
      /data\.mixture\.start\.code: no source is named 'code'/,
    );
    expect(problems({ ...json, data: { ...data, mixture: { start: { licenses: 0 } } } })).toMatch(
      /data\.mixture\.start: the weights sum to 0/,
    );
    expect(problems({ ...json, batch: { rows: 6, microRows: 4 } })).toMatch(
      /batch\.microRows: 4 does not divide batch\.rows \(6\)/,
    );
    expect(
      problems({ ...json, batch: { rows: 8, microRows: 2, ramp: { startRows: 3, incrementRows: 4, tokens: 100 } } }),
    ).toMatch(
      /batch\.ramp\.incrementRows: rows − startRows \(5\) is not a multiple of 4[\s\S]*batch\.ramp\.startRows: 3 is not a multiple of batch\.microRows/,
    );
    expect(problems({ ...json, steps: 5 })).toMatch(/schedule: warmupSteps \+ decaySteps \(8\) exceed steps \(5\)/);
    const twice = [...(data.sources as object[]), ...(data.sources as object[])];
    expect(problems({ ...json, data: { ...data, sources: twice } })).toMatch(
      /data\.sources: the name 'licenses' is used twice/,
    );
  });

  it('reads YAML (.yaml, .yml) as JSON, and reports a YAML syntax error with its line and column', async () => {
    const { dir, config } = await tinyRun();
    const yaml = [
      'out: run',
      'backend: wasm',
      'model:',
      `  config: ${JSON.stringify((config.model as { config: string }).config)}`,
      'tokenizer: tokenizer.json',
      'data:',
      '  sources:',
      `    - { name: licenses, kind: text, paths: [${JSON.stringify(join(ASSETS, 'corpus', 'train.txt'))}], textSplit: blank-line }`,
      '  seqLen: 64',
      'steps: 10',
      'batch: { rows: 4 }',
      'optimizer: { lr: 0.01 }',
      'checkpoint: { every: 5 }',
    ].join('\n');
    writeFileSync(join(dir, 'run.yaml'), yaml);
    const fromJson = validateTrainConfig(
      {
        ...config,
        eval: undefined,
        steps: 10,
        batch: { rows: 4 },
        optimizer: { lr: 0.01 },
        schedule: {},
        model: { config: (config.model as { config: string }).config },
        data: { ...(config.data as object), seed: 0 },
        checkpoint: { every: 5 },
      },
      join(dir, 'run.json'),
    );
    expect(loadTrainConfig(join(dir, 'run.yaml')).config).toEqual(fromJson);
    writeFileSync(join(dir, 'bad.yml'), 'out: run\nsteps: [1, 2\nbatch: 3\n');
    expect(() => loadTrainConfig(join(dir, 'bad.yml'))).toThrow(/bad\.yml: not valid YAML \(line \d+, column \d+\)/);
    writeFileSync(join(dir, 'typo.yaml'), `${yaml}\nstpes: 3\n`);
    expect(() => loadTrainConfig(join(dir, 'typo.yaml'))).toThrow(
      /typo\.yaml: invalid training config:\n {2}\(top level\): .*stpes/,
    );
  });

  it('reports a JSON syntax error with its line and column, and a missing file by name', async () => {
    const { dir } = await tinyRun();
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "out": "run",\n  "steps": 10,,\n}\n');
    expect(() => loadTrainConfig(file)).toThrow(/broken\.json: not valid JSON \(line 3, column 15\)/);
    expect(() => loadTrainConfig(join(dir, 'nope.json'))).toThrow(/cannot read the config file .*nope\.json: ENOENT/);
  });

  it('a model config the model package refuses is reported with its field at the start of the run', async () => {
    const { dir, config } = await tinyRun({ model: { preset: '0.5B', overrides: { hidden_size: -4 } } });
    const { runTraining } = await import('../src/index.js');
    await expect(
      runTraining(loadTrainConfig(writeConfig(dir, config)), { output: { line: () => {} } }),
    ).rejects.toThrow(/hidden_size/);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as m from '../src/index.js';

function collector(): m.Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

const ownVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('falcon-h1 dispatcher', () => {
  it('--help lists every command', async () => {
    const io = collector();
    expect(await m.main(['--help'], io)).toBe(0);
    const text = io.stdout.join('\n');
    for (const command of m.COMMANDS) expect(text).toContain(command.name);
  });

  it('no arguments prints the help', async () => {
    const io = collector();
    expect(await m.main([], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('Usage: falcon-h1 <command>');
  });

  it('--version prints the package version and nothing else', async () => {
    const io = collector();
    expect(await m.main(['--version'], io)).toBe(0);
    expect(io.stdout).toEqual([ownVersion]);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const io = collector();
    expect(await m.main(['frobnicate'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain("unknown command 'frobnicate'");
  });

  it('<command> --help prints that command usage', async () => {
    const io = collector();
    expect(await m.main(['info', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('Usage: falcon-h1 info');
  });
});

describe('falcon-h1 info', () => {
  it('reports node, platform and every backend package, without throwing', async () => {
    const io = collector();
    expect(await m.main(['info', '--json'], io)).toBe(0);
    const info = JSON.parse(io.stdout.join('\n')) as m.Info;
    expect(info.version).toBe(ownVersion);
    expect(info.node).toBe(process.version);
    expect(info.platform).toBe(process.platform);
    expect(info.backends.map((b) => b.package)).toEqual([...m.BACKEND_PACKAGES]);
  });

  it('reports the CUDA backend as unavailable, with its reason, on a machine without an NVIDIA GPU', async (ctx) => {
    if (existsSync('/dev/nvidiactl')) ctx.skip(); // a GPU host: the backend may well start there
    const probe = await m.probeBackend('@falcon-h1/backend-cuda');
    expect(probe.status, JSON.stringify(probe)).toBe('unavailable');
    expect(probe.detail).toMatch(/unavailable|CUDA|cublas/i);
  });

  it('says not-installed for a package that does not exist', async () => {
    expect(await m.probeBackend('@falcon-h1/backend-does-not-exist')).toEqual({
      package: '@falcon-h1/backend-does-not-exist',
      status: 'not-installed',
    });
  });

  it('without isAvailable(), asks the BackendModule factory (createBackend) instead', async () => {
    const fixture = (file: string) => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
    expect(await m.probeBackend(fixture('factory-backend.mjs'))).toMatchObject({
      status: 'available',
      detail: 'test device',
    });
    expect(await m.probeBackend(fixture('refusing-backend.mjs'))).toMatchObject({
      status: 'unavailable',
      detail: 'no such device here',
    });
  });

  it('renders a table with one row per backend', () => {
    const text = m.renderInfo({
      version: '1.2.3',
      node: 'v20.0.0',
      platform: 'linux',
      arch: 'x64',
      backends: [
        { package: '@falcon-h1/backend-a', status: 'available' },
        { package: '@falcon-h1/backend-bb', status: 'unavailable', detail: 'no GPU' },
      ],
    });
    expect(text.split('\n')).toEqual([
      'falcon-h1 1.2.3',
      'node      v20.0.0',
      'platform  linux x64',
      'backends:',
      '  @falcon-h1/backend-a   available',
      '  @falcon-h1/backend-bb  unavailable  no GPU',
    ]);
  });
});

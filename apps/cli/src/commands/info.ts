import { BACKEND_PACKAGES, type BackendProbe, probeBackend } from '../backends.js';
import type { Command } from '../command.js';
import { readOwnPackageJson } from '../package-info.js';

export interface Info {
  version: string;
  node: string;
  platform: string;
  arch: string;
  backends: BackendProbe[];
}

export async function collectInfo(): Promise<Info> {
  const backends: BackendProbe[] = [];
  // One after another: a native backend's probe may initialise a device, and the output order must be stable.
  for (const name of BACKEND_PACKAGES) backends.push(await probeBackend(name));
  return {
    version: readOwnPackageJson().version,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    backends,
  };
}

export function renderInfo(info: Info): string {
  const width = Math.max(...info.backends.map((b) => b.package.length));
  const statusWidth = Math.max(...info.backends.map((b) => b.status.length));
  return [
    `falcon-h1 ${info.version}`,
    `node      ${info.node}`,
    `platform  ${info.platform} ${info.arch}`,
    'backends:',
    ...info.backends.map((b) =>
      `  ${b.package.padEnd(width)}  ${b.status.padEnd(statusWidth)}  ${b.detail ?? ''}`.trimEnd(),
    ),
  ].join('\n');
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'Print the Node version, the platform and which backends can be imported and run here',
  usage: [
    'Usage: falcon-h1 info [--json]',
    '',
    'Prints the Node version, the platform, and for each backend package of falcon-h1 whether it is installed',
    '(importable from this command) and whether its isAvailable() probe says it can run on this machine.',
    '',
    'Options:',
    '  --json  print the same facts as one JSON object',
  ].join('\n'),
  async run(args, { io }) {
    const unknown = args.filter((a) => a !== '--json');
    if (unknown.length > 0) {
      io.err(`falcon-h1 info: unknown option '${unknown[0]}'`);
      return 2;
    }
    const info = await collectInfo();
    io.out(args.includes('--json') ? JSON.stringify(info, null, 2) : renderInfo(info));
    return 0;
  },
};

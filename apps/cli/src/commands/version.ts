import type { Command } from '../command.js';
import { readOwnPackageJson } from '../package-info.js';

export const versionCommand: Command = {
  name: 'version',
  aliases: ['--version', '-v'],
  summary: 'Print the version of falcon-h1',
  usage: 'Usage: falcon-h1 version\n\nPrints the version of @falcon-h1/cli, nothing else.',
  async run(_args, { io }) {
    io.out(readOwnPackageJson().version);
    return 0;
  },
};

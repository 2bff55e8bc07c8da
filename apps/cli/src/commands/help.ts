import type { Command } from '../command.js';

export function renderHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = [
    'Usage: falcon-h1 <command> [options]',
    '',
    'Falcon-H1 (parallel attention + Mamba2 hybrid) in TypeScript.',
    '',
    'Commands:',
    ...commands.map((c) => {
      const aliases = c.aliases && c.aliases.length > 0 ? ` (also ${c.aliases.join(', ')})` : '';
      return `  ${c.name.padEnd(width)}  ${c.summary}${aliases}`;
    }),
    '',
    "Run 'falcon-h1 <command> --help' for the options of one command.",
  ];
  return lines.join('\n');
}

export const helpCommand: Command = {
  name: 'help',
  aliases: ['--help', '-h'],
  summary: 'Show this help',
  usage: 'Usage: falcon-h1 help [command]\n\nWithout a command, lists every command; with one, shows its options.',
  async run(args, { io, commands }) {
    const [topic] = args;
    if (topic === undefined) {
      io.out(renderHelp(commands));
      return 0;
    }
    const command = commands.find((c) => c.name === topic);
    if (command === undefined) {
      io.err(`falcon-h1 help: unknown command '${topic}'`);
      return 2;
    }
    io.out(command.usage);
    return 0;
  },
};

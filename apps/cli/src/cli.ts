import type { Command } from './command.js';
import { generateCommand } from './commands/generate.js';
import { helpCommand } from './commands/help.js';
import { infoCommand } from './commands/info.js';
import { launchCommand } from './commands/launch.js';
import { serveCommand } from './commands/serve.js';
import { tokenizeCommand } from './commands/tokenize.js';
import { trainCommand } from './commands/train.js';
import { trainTokenizerCommand } from './commands/train-tokenizer.js';
import { versionCommand } from './commands/version.js';
import { type Io, processIo } from './io.js';

/** Every subcommand, in the order `falcon-h1 --help` lists them. Add a new one here. */
export const COMMANDS: readonly Command[] = [
  infoCommand,
  generateCommand,
  serveCommand,
  tokenizeCommand,
  trainCommand,
  trainTokenizerCommand,
  launchCommand,
  helpCommand,
  versionCommand,
];

function find(word: string): Command | undefined {
  return COMMANDS.find((c) => c.name === word || (c.aliases ?? []).includes(word));
}

/**
 * Runs `falcon-h1 <argv...>` and resolves to the exit code: 0 on success, 1 when a command failed, 2 for a usage
 * error. Never calls `process.exit`, so it can be tested in-process.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const context = { io, commands: COMMANDS };
  const [word, ...rest] = argv;
  if (word === undefined) return helpCommand.run([], context);
  const command = find(word);
  if (command === undefined) {
    io.err(`falcon-h1: unknown command '${word}'`);
    io.err("Run 'falcon-h1 --help' for the list of commands.");
    return 2;
  }
  // Only the command's own options count: after `--` (launch's child command) `--help` belongs to the child.
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (command !== helpCommand && (own.includes('--help') || own.includes('-h'))) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, context);
  } catch (error) {
    io.err(`falcon-h1 ${command.name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

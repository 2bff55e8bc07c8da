import type { Io } from './io.js';

/** What every subcommand receives besides its arguments. */
export interface CommandContext {
  io: Io;
  /** Every registered command, in the order `--help` lists them. */
  commands: readonly Command[];
}

/** One `falcon-h1` subcommand. Each lives in its own file under `src/commands/`. */
export interface Command {
  /** The word typed after `falcon-h1`. */
  name: string;
  /** Other words or flags that select this command (`--version`, `-v`, ...). */
  aliases?: readonly string[];
  /** One line for the command list of `falcon-h1 --help`. */
  summary: string;
  /** The full text of `falcon-h1 <name> --help`. */
  usage: string;
  /** Runs the command and resolves to the process exit code. */
  run(args: readonly string[], context: CommandContext): Promise<number>;
}

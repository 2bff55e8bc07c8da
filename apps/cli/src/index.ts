/**
 * @falcon-h1/cli: the `falcon-h1` command.
 *
 * The binary is `bin.ts`; this entry point exposes the same dispatcher as a library (for tests and for tools that
 * want to run a subcommand in-process) and has no side effects.
 */
export { BACKEND_PACKAGES, type BackendProbe, probeBackend } from './backends.js';
export { COMMANDS, main } from './cli.js';
export type { Command, CommandContext } from './command.js';
export { collectInfo, type Info, renderInfo } from './commands/info.js';
export type { Io } from './io.js';

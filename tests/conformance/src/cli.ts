#!/usr/bin/env node
/** The `falcon-h1-conformance` executable: see cli-main.ts for the options. */
import { runConformanceCli } from './cli-main.js';

runConformanceCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 2;
  },
);

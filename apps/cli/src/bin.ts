#!/usr/bin/env node
// The `falcon-h1` executable. It depends only on the files of this package's dist/ folder: every backend is imported
// by name at run time (see backends.ts). Sets the exit code instead of calling process.exit, so output is flushed.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));

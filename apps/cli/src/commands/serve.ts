/**
 * `falcon-h1 serve`: the OpenAI-compatible server of @falcon-h1/server over a Hugging Face model directory
 * (config.json, safetensors, tokenizer.json, tokenizer_config.json with its chat template). Runs until SIGTERM or
 * SIGINT, then shuts down gracefully: no new requests, every in-flight stream finished, exit 0.
 */
import { parseArgs } from 'node:util';
import { type Backend, useBackend } from '@falcon-h1/core-tensor';
import type { ComputeDType } from '@falcon-h1/hybrid-block';
import { loadServedModel, startBackendByName, startServer } from '@falcon-h1/server';
import type { Command } from '../command.js';
import type { Io } from '../io.js';

const USAGE = [
  'Usage: falcon-h1 serve --model <dir> [--backend <name>] [--host 127.0.0.1] [--port 8000] [options]',
  '',
  'Serves a Falcon-H1 model directory with an OpenAI-compatible API: GET /v1/models, POST /v1/completions,',
  'POST /v1/chat/completions (streaming with "stream": true), GET /health and GET /metrics (Prometheus).',
  'Requests share the decode batch (continuous batching). Stops gracefully on SIGTERM or SIGINT.',
  '',
  'Options:',
  '  --model <dir>             Hugging Face model directory (with tokenizer.json and tokenizer_config.json)',
  '  --backend <name>          reference (default), wasm, webgpu, cuda: the package @falcon-h1/backend-<name>',
  '  --dtype <f32|bf16|f16>    compute dtype (default f32)',
  '  --host <address>          address to listen on (default 127.0.0.1)',
  '  --port <n>                port (default 8000; 0 picks a free one)',
  '  --model-name <name>       the name clients pass as "model" (default: the directory name)',
  '  --max-batch <n>           sequences decoded together at most (default 64)',
  '  --max-queue <n>           requests waiting at most; beyond, 429 (default 256)',
  "  --cache-budget-mb <n>     memory for the sequences' KV, conv and SSM caches (default 1024)",
  '  --prefill-chunk <n>       prompt tokens prefilled per scheduler step (default 256)',
  '  --max-body-kb <n>         request body limit; beyond, 413 (default 1024)',
].join('\n');

class UsageError extends Error {}

function positiveInteger(text: string | undefined, flag: string, fallback: number, allowZero = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || (!allowZero && value === 0))
    throw new UsageError(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got '${text}'`);
  return value;
}

function parse(args: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      model: { type: 'string' },
      backend: { type: 'string', default: 'reference' },
      dtype: { type: 'string', default: 'f32' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      'model-name': { type: 'string' },
      'max-batch': { type: 'string' },
      'max-queue': { type: 'string' },
      'cache-budget-mb': { type: 'string' },
      'prefill-chunk': { type: 'string' },
      'max-body-kb': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.model) throw new UsageError('--model <dir> is required');
  if (!['f32', 'bf16', 'f16'].includes(values.dtype!)) throw new UsageError('--dtype must be f32, bf16 or f16');
  const port = positiveInteger(values.port, '--port', 8000, true);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  return {
    model: values.model,
    backend: values.backend!,
    dtype: values.dtype as ComputeDType,
    host: values.host!,
    port,
    modelName: values['model-name'],
    maxBatch: positiveInteger(values['max-batch'], '--max-batch', 64),
    maxQueue: positiveInteger(values['max-queue'], '--max-queue', 256, true),
    cacheBudgetBytes: positiveInteger(values['cache-budget-mb'], '--cache-budget-mb', 1024) * 2 ** 20,
    prefillChunk: positiveInteger(values['prefill-chunk'], '--prefill-chunk', 256),
    maxBodyBytes: positiveInteger(values['max-body-kb'], '--max-body-kb', 1024) * 1024,
  };
}

/** Resolves on the first SIGTERM or SIGINT. */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** The options, or undefined after reporting a usage error. */
function parseOrReport(args: readonly string[], io: Io): ReturnType<typeof parse> | undefined {
  try {
    return parse(args);
  } catch (error) {
    io.err(`falcon-h1 serve: ${(error as Error).message}`);
    io.err("Run 'falcon-h1 serve --help' for the options.");
    return undefined;
  }
}

/** Serves until SIGTERM or SIGINT, then shuts down gracefully. */
async function serveUntilSignal(options: ReturnType<typeof parse>, backend: Backend, io: Io): Promise<void> {
  const served = await loadServedModel(options.model, { backend, dtype: options.dtype, id: options.modelName });
  try {
    const stop = shutdownSignal();
    const server = await startServer({ ...options, served });
    io.out(`falcon-h1 serve: '${served.id}' on ${options.backend} listening on ${server.url}`);
    const signal = await stop;
    io.out(`falcon-h1 serve: ${signal}: finishing in-flight requests`);
    await server.close();
    io.out('falcon-h1 serve: stopped');
  } finally {
    served.model.dispose();
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve a Falcon-H1 model directory with an OpenAI-compatible HTTP API (streaming, continuous batching)',
  usage: USAGE,
  async run(args, { io }) {
    const options = parseOrReport(args, io);
    if (!options) return 2;
    const backend = await startBackendByName(options.backend);
    useBackend(backend);
    try {
      await serveUntilSignal(options, backend, io);
    } finally {
      backend.dispose?.();
    }
    return 0;
  },
};

/**
 * `falcon-h1 generate`: loads a Hugging Face Falcon-H1 model directory and continues token-id prompts on a backend,
 * through prefill plus cached incremental decoding (@falcon-h1/hybrid-block). The backend package is imported by
 * name at run time (`--backend wasm` → @falcon-h1/backend-wasm), as `falcon-h1 info` does, so the command runs from
 * this package's built files with whichever backends are installed. Text prompts arrive with the tokenizer (#4).
 */
import { parseArgs } from 'node:util';
import { type Backend, type BackendModule, useBackend } from '@falcon-h1/core-tensor';
import { type ComputeDType, generate, loadFalconH1 } from '@falcon-h1/hybrid-block';
import type { Command } from '../command.js';

const USAGE = [
  'Usage: falcon-h1 generate --model <dir> --prompt-ids 1,2,3 [--prompt-ids 4,5 ...] --max-tokens N [options]',
  '',
  'Continues each prompt (token ids) with a Falcon-H1 model directory (config.json + safetensors, single or sharded).',
  'Several prompts of different lengths run as one left-padded batch. Prints the new token ids of each prompt,',
  'comma-separated, one line per prompt (or one line per step with --stream).',
  '',
  'Options:',
  '  --model <dir>             Hugging Face model directory',
  '  --prompt-ids <ids>        comma-separated token ids; repeat for a batch',
  '  --max-tokens <n>          new tokens per prompt at most',
  '  --backend <name>          reference (default), wasm, webgpu, cuda: the package @falcon-h1/backend-<name>',
  '  --dtype <f32|bf16|f16>    compute dtype (default f32)',
  '  --temperature <t>         0 (default) is greedy; otherwise sample',
  '  --top-k <k>  --top-p <p>  --repetition-penalty <r>  --seed <s>',
  '  --stop <ids>              stop tokens (default: the config eos_token_id); --min-tokens <n> forbids them until n',
  '  --stream                  print each step as it is generated',
  '  --json                    print {"sequences": [[...]], "finishReasons": [...]}',
].join('\n');

function parseIds(text: string, what: string): number[] {
  const ids = text.split(',').map((s) => s.trim());
  if (ids.length === 0 || ids.some((s) => !/^\d+$/.test(s))) {
    throw new UsageError(`${what} must be comma-separated non-negative integers, got '${text}'`);
  }
  return ids.map(Number);
}

function parseNumber(text: string | undefined, what: string, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${what} must be ${integer ? 'an integer' : 'a number'}, got '${text}'`);
  }
  return value;
}

class UsageError extends Error {}

/** Imports @falcon-h1/backend-<name> and starts it. */
async function startBackend(name: string): Promise<Backend> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new UsageError(`invalid backend name '${name}'`);
  const specifier = `@falcon-h1/backend-${name}`;
  let mod: Partial<BackendModule>;
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as Partial<BackendModule>;
  } catch (error) {
    throw new Error(`cannot import ${specifier} (is it installed?): ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof mod.createBackend !== 'function') throw new Error(`${specifier} is not a falcon-h1 backend module`);
  try {
    return await mod.createBackend();
  } catch (error) {
    throw new Error(`backend '${name}' is unavailable: ${(error as Error).message}`);
  }
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Continue token-id prompts with a Falcon-H1 model directory (greedy or sampled, batched, streamed)',
  usage: USAGE,
  async run(args, { io }) {
    let options: ReturnType<typeof parse>;
    try {
      options = parse(args);
    } catch (error) {
      io.err(`falcon-h1 generate: ${(error as Error).message}`);
      io.err("Run 'falcon-h1 generate --help' for the options.");
      return 2;
    }
    const backend = await startBackend(options.backend);
    useBackend(backend);
    try {
      const model = await loadFalconH1(options.model, { dtype: options.dtype, backend });
      try {
        const result = await generate(model, options.prompts, {
          ...options.sampling,
          onToken: options.stream
            ? (step) => io.out(step.tokens.map((t) => (t === undefined ? '-' : String(t))).join(' '))
            : undefined,
        });
        if (options.json) io.out(JSON.stringify(result));
        else if (!options.stream) for (const sequence of result.sequences) io.out(sequence.join(','));
      } finally {
        model.dispose();
      }
    } finally {
      backend.dispose?.();
    }
    return 0;
  },
};

function parse(args: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      model: { type: 'string' },
      'prompt-ids': { type: 'string', multiple: true },
      'max-tokens': { type: 'string' },
      backend: { type: 'string', default: 'reference' },
      dtype: { type: 'string', default: 'f32' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      seed: { type: 'string' },
      stop: { type: 'string' },
      'min-tokens': { type: 'string' },
      stream: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.model) throw new UsageError('--model <dir> is required');
  if (!values['prompt-ids']?.length) throw new UsageError('--prompt-ids is required');
  const maxTokens = parseNumber(values['max-tokens'], '--max-tokens', true);
  if (maxTokens === undefined || maxTokens < 0) throw new UsageError('--max-tokens <n> (an integer ≥ 0) is required');
  if (!['f32', 'bf16', 'f16'].includes(values.dtype!)) throw new UsageError(`--dtype must be f32, bf16 or f16`);
  return {
    model: values.model,
    backend: values.backend!,
    dtype: values.dtype as ComputeDType,
    prompts: values['prompt-ids'].map((p) => parseIds(p, '--prompt-ids')),
    stream: values.stream ?? false,
    json: values.json ?? false,
    sampling: {
      maxNewTokens: maxTokens,
      temperature: parseNumber(values.temperature, '--temperature'),
      topK: parseNumber(values['top-k'], '--top-k', true),
      topP: parseNumber(values['top-p'], '--top-p'),
      repetitionPenalty: parseNumber(values['repetition-penalty'], '--repetition-penalty'),
      seed: parseNumber(values.seed, '--seed', true),
      stopTokens: values.stop === undefined ? undefined : parseIds(values.stop, '--stop'),
      minNewTokens: parseNumber(values['min-tokens'], '--min-tokens', true),
    },
  };
}

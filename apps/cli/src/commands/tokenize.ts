/**
 * `falcon-h1 tokenize`: encodes text with any Hugging Face tokenizer (a tokenizer.json or a model directory) through
 * @falcon-h1/tokenizer, with the same ids as Hugging Face's library. Prints each token (id, text, offsets), or with
 * --jsonl one JSON array of ids per input line, the format data pipelines read.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Tokenizer } from '@falcon-h1/tokenizer';
import { linesWithEndings, loadTokenizer } from '@falcon-h1/tokenizer/node';
import type { Command } from '../command.js';

const USAGE = [
  'Usage: falcon-h1 tokenize --tokenizer <file-or-dir> [--text <text> ... | --file <path>] [options]',
  '',
  'Encodes text with a tokenizer.json (or a directory holding one). Without --text or --file, reads standard input.',
  'Special tokens (BOS, ...) are added only with --add-special-tokens.',
  '',
  'Options:',
  '  --tokenizer <path>      tokenizer.json, or a directory with tokenizer.json in it',
  '  --text <text>           text to encode; repeat for several',
  '  --file <path>           file to encode ("-" for standard input)',
  '  --jsonl                 one JSON array of ids per input line (lines without their line ending)',
  '  --add-special-tokens    add the special tokens of the post-processor',
  '  --decode                decode the ids back and print the text too (not with --jsonl)',
].join('\n');

class UsageError extends Error {}

interface TokenizeOptions {
  tokenizer: string;
  texts: string[];
  file: string | undefined;
  jsonl: boolean;
  addSpecialTokens: boolean;
  decode: boolean;
}

function parse(args: readonly string[]): TokenizeOptions {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      tokenizer: { type: 'string' },
      text: { type: 'string', multiple: true },
      file: { type: 'string' },
      jsonl: { type: 'boolean', default: false },
      'add-special-tokens': { type: 'boolean', default: false },
      decode: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.tokenizer === undefined) throw new UsageError('--tokenizer is required');
  if (values.text !== undefined && values.file !== undefined) throw new UsageError('give --text or --file, not both');
  if (values.jsonl && values.decode) throw new UsageError('--decode does not go with --jsonl');
  return {
    tokenizer: values.tokenizer,
    texts: values.text ?? [],
    file: values.file,
    jsonl: values.jsonl ?? false,
    addSpecialTokens: values['add-special-tokens'] ?? false,
    decode: values.decode ?? false,
  };
}

async function readInput(file: string | undefined): Promise<string> {
  if (file !== undefined && file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function* inputLines(options: TokenizeOptions): AsyncGenerator<string> {
  if (options.texts.length > 0) {
    for (const text of options.texts) yield* text.split(/\r?\n/);
    return;
  }
  if (options.file !== undefined && options.file !== '-') {
    for await (const line of linesWithEndings(options.file)) yield line.replace(/\r?\n$/, '');
    return;
  }
  const text = await readInput(undefined);
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  yield* lines;
}

function printTokens(tokenizer: Tokenizer, text: string, options: TokenizeOptions, out: (line: string) => void): void {
  const encoding = tokenizer.encode(text, { addSpecialTokens: options.addSpecialTokens });
  const { ids, tokens, starts, ends } = encoding;
  for (let i = 0; i < ids.length; i++) out(`${ids[i]}\t${JSON.stringify(tokens[i])}\t${starts[i]}-${ends[i]}`);
  out(`${ids.length} tokens`);
  if (options.decode) out(`decoded: ${JSON.stringify(tokenizer.decode(ids))}`);
}

export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'Encode text with a Hugging Face tokenizer.json (ids identical to the tokenizers library)',
  usage: USAGE,
  async run(args, { io }) {
    let options: TokenizeOptions;
    try {
      options = parse(args);
    } catch (error) {
      io.err(`falcon-h1 tokenize: ${(error as Error).message}`);
      io.err("Run 'falcon-h1 tokenize --help' for the options.");
      return 2;
    }
    const tokenizer = await loadTokenizer(options.tokenizer);
    if (options.jsonl) {
      for await (const line of inputLines(options)) {
        io.out(JSON.stringify(tokenizer.encodeIds(line, { addSpecialTokens: options.addSpecialTokens })));
      }
      return 0;
    }
    const texts = options.texts.length > 0 ? options.texts : [await readInput(options.file)];
    for (const text of texts) printTokens(tokenizer, text, options, (line) => io.out(line));
    return 0;
  },
};

/**
 * Node-only helpers (`@falcon-h1/tokenizer/node`): load a tokenizer from a tokenizer.json file or a directory
 * holding one (plus its tokenizer_config.json), and train from files. The main entry stays browser-safe.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChatTemplate } from './chat-template.js';
import { TokenizerConfigError } from './errors.js';
import { Tokenizer } from './tokenizer.js';
import { type TrainBpeOptions, type TrainBpeResult, trainBpe } from './training/train-bpe.js';

/** Where the files of a tokenizer are: a tokenizer.json path, or a directory with tokenizer.json in it. */
export async function resolveTokenizerFiles(
  fileOrDir: string,
): Promise<{ tokenizerJson: string; configJson: string | null }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(fileOrDir);
  } catch {
    throw new TokenizerConfigError(`no tokenizer at '${fileOrDir}' (not a file or directory)`);
  }
  if (info.isDirectory()) {
    const tokenizerJson = join(fileOrDir, 'tokenizer.json');
    try {
      await stat(tokenizerJson);
    } catch {
      throw new TokenizerConfigError(`directory '${fileOrDir}' has no tokenizer.json`);
    }
    const config = join(fileOrDir, 'tokenizer_config.json');
    const hasConfig = await stat(config).then(
      () => true,
      () => false,
    );
    return { tokenizerJson, configJson: hasConfig ? config : null };
  }
  return { tokenizerJson: fileOrDir, configJson: null };
}

/** Loads a tokenizer from a tokenizer.json file or a directory holding one. */
export async function loadTokenizer(fileOrDir: string): Promise<Tokenizer> {
  const { tokenizerJson } = await resolveTokenizerFiles(fileOrDir);
  const text = await readFile(tokenizerJson, 'utf8');
  try {
    return Tokenizer.fromJSON(text);
  } catch (error) {
    if (error instanceof TokenizerConfigError) error.message = `${tokenizerJson}: ${error.message}`;
    throw error;
  }
}

/** Reads a tokenizer_config.json (a path, or a directory holding one). */
export async function loadTokenizerConfig(fileOrDir: string): Promise<Record<string, unknown>> {
  let path = fileOrDir;
  if ((await stat(fileOrDir)).isDirectory()) path = join(fileOrDir, 'tokenizer_config.json');
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new TokenizerConfigError(`cannot read tokenizer config '${path}': ${(error as Error).message}`);
  }
}

/** The chat template of a model directory (its tokenizer_config.json). */
export async function loadChatTemplate(dir: string, name?: string): Promise<ChatTemplate> {
  return ChatTemplate.fromTokenizerConfig(await loadTokenizerConfig(dir), { name });
}

/** The lines of a file, each with its line ending (as Hugging Face's trainer reads files). */
export async function* linesWithEndings(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let pending = '';
  for await (const chunk of stream) {
    pending += chunk;
    let start = 0;
    for (let nl = pending.indexOf('\n', start); nl >= 0; nl = pending.indexOf('\n', start)) {
      yield pending.slice(start, nl + 1);
      start = nl + 1;
    }
    pending = pending.slice(start);
  }
  if (pending !== '') yield pending;
}

/** Trains on files (line by line) and writes tokenizer.json and tokenizer_config.json into outDir. */
export async function trainBpeFromFiles(
  files: readonly string[],
  outDir: string,
  options: TrainBpeOptions,
): Promise<TrainBpeResult> {
  async function* allLines() {
    for (const file of files) yield* linesWithEndings(file);
  }
  const result = await trainBpe(allLines(), options);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'tokenizer.json'), JSON.stringify(result.json, null, 2));
  const config: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    clean_up_tokenization_spaces: false,
  };
  if (options.bosToken !== undefined) config.bos_token = options.bosToken;
  await writeFile(join(outDir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  return result;
}

export { Tokenizer };

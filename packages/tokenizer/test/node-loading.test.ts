/** The node entry: loading from a tokenizer.json file or a model directory, and clear errors for bad paths. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linesWithEndings, loadChatTemplate, loadTokenizer, loadTokenizerConfig } from '../src/node.js';
import { shippedDir } from './helpers/shipped.js';

describe('@falcon-h1/tokenizer/node', () => {
  it('loads a model directory and a tokenizer.json file alike', async () => {
    const dir = shippedDir('llama3');
    const fromDir = await loadTokenizer(dir);
    const fromFile = await loadTokenizer(join(dir, 'tokenizer.json'));
    expect(fromDir.encode('Hello world').ids).toEqual(fromFile.encode('Hello world').ids);
    expect(fromDir.getVocabSize()).toBe(128256);
  });

  it('reads the tokenizer config and its chat template', async () => {
    const dir = shippedDir('qwen3');
    expect((await loadTokenizerConfig(dir)).eos_token).toBe('<|im_end|>');
    expect((await loadChatTemplate(dir)).render([{ role: 'user', content: 'hi' }])).toBe(
      '<|im_start|>user\nhi<|im_end|>\n',
    );
  });

  it('names the path it cannot use', async () => {
    await expect(loadTokenizer('/nonexistent/tokenizer')).rejects.toThrow("no tokenizer at '/nonexistent/tokenizer'");
    const empty = mkdtempSync(join(tmpdir(), 'no-tokenizer-'));
    await expect(loadTokenizer(empty)).rejects.toThrow('has no tokenizer.json');
    const bad = join(empty, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] }, pre_tokenizer: { type: 'Nope' } }),
    );
    await expect(loadTokenizer(bad)).rejects.toThrow(/bad\.json: unsupported pre_tokenizer type 'Nope'/);
  });

  it('reads files line by line with their line endings', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lines-')), 'text.txt');
    writeFileSync(file, 'one\r\ntwo\n\nthree');
    const lines: string[] = [];
    for await (const line of linesWithEndings(file)) lines.push(line);
    expect(lines).toEqual(['one\r\n', 'two\n', '\n', 'three']);
  });
});

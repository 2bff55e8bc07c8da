/** The playground's static server over real HTTP, and the page's token-id parsing. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_NAME, parseTokenRows } from '../src/index.js';
import { PACKAGE_DIR } from '../src/server/bundle-page.js';
import { fixtureModels, startStaticServer } from '../src/server/static-server.js';

const www = mkdtempSync(join(tmpdir(), 'falcon-playground-static-'));
writeFileSync(join(www, 'index.html'), '<!doctype html><title>x</title>');
const server = await startStaticServer({ wwwDir: www, models: fixtureModels(join(PACKAGE_DIR, '..', '..')) });
afterAll(async () => {
  await server.close();
  rmSync(www, { recursive: true, force: true });
});

describe('startStaticServer', () => {
  it('serves the page at / and a mounted model directory under /models/<name>/', async () => {
    expect(PACKAGE_NAME).toBe('@falcon-h1/playground');
    const page = await fetch(server.url);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<title>x</title>');
    const config = await fetch(`${server.url}models/tiny-a/config.json`);
    expect((await config.json()).model_type).toBe('falcon_h1');
    const weights = await fetch(`${server.url}models/tiny-a/model.safetensors`, { method: 'HEAD' });
    expect(weights.status).toBe(200);
    expect(Number(weights.headers.get('content-length'))).toBeGreaterThan(1e6);
  });

  it('answers 404 outside the served folders and for model files it does not serve', async () => {
    for (const path of [
      'models/tiny-a/golden.grads.safetensors.txt',
      'models/tiny-a/generate.py',
      'models/nope/config.json',
      '%2e%2e/%2e%2e/package.json',
      'missing.js',
    ]) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });
});

describe('parseTokenRows', () => {
  it('reads rows separated by ; or new lines, ids by commas or spaces', () => {
    expect(parseTokenRows('1, 2 3;\n4,5\n', 10, 'ids')).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('names the row and the word that is not a token id', () => {
    expect(() => parseTokenRows('1,2;3,x', 10, 'prompt')).toThrow("prompt, row 2: 'x' is not a token id in [0, 10)");
    expect(() => parseTokenRows('10', 10, 'ids')).toThrow("ids, row 1: '10' is not a token id in [0, 10)");
  });
});

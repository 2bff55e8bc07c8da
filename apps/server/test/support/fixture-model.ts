/** The server tests' model: the tiny-a fixture with the tokenizer built for it (fixtures/), on the wasm backend. */
import { createBackend } from '@falcon-h1/backend-wasm';
import { type Backend, useBackend } from '@falcon-h1/core-tensor';
import { loadServedModel, type ServedModel } from '../../src/index.js';
import { makeTinyAModelDir } from '../fixtures/tiny-a-model-dir.mjs';

export { makeTinyAModelDir as makeModelDir };

let backend: Backend | undefined;

export async function wasmBackend(): Promise<Backend> {
  backend ??= await createBackend();
  useBackend(backend);
  return backend;
}

export async function loadFixtureModel(): Promise<{ dir: string; served: ServedModel }> {
  const dir = await makeTinyAModelDir();
  const served = await loadServedModel(dir, { backend: await wasmBackend() });
  return { dir, served };
}

/**
 * The playground page (static/index.html + this bundle, app.js): loads a model from a URL onto the WebGPU
 * backend, runs the forward and greedy generation the form (or the page's query string) asks for, and shows the
 * next tokens, the top logits and the generated tokens. The finished run is also published as
 * `globalThis.falconPlayground` and `<body data-state>` for scripts (the headless-Chromium test reads them).
 *
 * Query parameters override the form: model, ids, prompt, new, minNew, dtype (f32 | f16).
 */
import { type Backend, type DType, setBackend } from '@falcon-h1/core-tensor';
import '@falcon-h1/backend-webgpu';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import { loadFalconH1FromUrl } from '../load-model-from-url.js';
import { type PlaygroundResult, parseTokenRows, runPlayground } from '../run-playground.js';
import { renderResult } from './render-result.js';

/** What the page publishes when a run ends. */
export type PageOutcome =
  | {
      state: 'done';
      device: string;
      dtype: DType;
      model: string;
      result: Omit<PlaygroundResult, 'logits'> & { logits: number[] };
    }
  | { state: 'unavailable'; reason: string }
  | { state: 'error'; message: string };

const form = document.getElementById('form') as HTMLFormElement;
const status = document.getElementById('status')!;
const output = document.getElementById('output')!;
const field = (name: string): HTMLInputElement | HTMLTextAreaElement =>
  form.elements.namedItem(name) as HTMLInputElement | HTMLTextAreaElement;

const query = new URLSearchParams(location.search);
for (const name of ['model', 'ids', 'prompt', 'new']) {
  const value = query.get(name);
  if (value !== null) field(name).value = value;
}
const dtype = (query.get('dtype') ?? 'f32') as DType;
const minNewTokens = Number(query.get('minNew') ?? 0);

let loaded: { url: string; model: FalconH1ForCausalLM } | undefined;

function finish(outcome: PageOutcome): void {
  (globalThis as { falconPlayground?: PageOutcome }).falconPlayground = outcome;
  document.body.dataset.state = outcome.state;
}

async function run(): Promise<void> {
  document.body.dataset.state = 'running';
  output.replaceChildren();
  let backend: Backend;
  try {
    backend = await setBackend('webgpu');
  } catch (error) {
    const reason = (error as Error).message;
    status.textContent = `WebGPU is not available in this browser: ${reason}`;
    finish({ state: 'unavailable', reason });
    return;
  }
  const { device } = backend;
  const dtypes = backend.capabilities.dtypes;
  try {
    if (!dtypes.includes(dtype)) {
      throw new Error(`dtype=${dtype}: this adapter computes in ${dtypes.filter((d) => d.startsWith('f')).join(', ')}`);
    }
    const url = new URL(field('model').value, location.href).href;
    if (loaded?.url !== url) {
      loaded?.model.dispose();
      loaded = undefined;
      const model = await loadFalconH1FromUrl(url, { dtype, onProgress: (m) => (status.textContent = m) });
      loaded = { url, model };
    }
    const { model } = loaded;
    const vocab = model.config.vocab_size;
    status.textContent = `running on ${device} (${dtype})…`;
    const result = await runPlayground(model, {
      ids: parseTokenRows(field('ids').value, vocab, 'forward token ids'),
      prompts: parseTokenRows(field('prompt').value, vocab, 'prompt token ids'),
      newTokens: Number(field('new').value),
      minNewTokens,
    });
    status.textContent = `${device}, ${dtype}: forward ${result.ms.forward.toFixed(1)} ms, generation ${result.ms.generate.toFixed(1)} ms`;
    output.replaceChildren(renderResult(result));
    finish({ state: 'done', device, dtype, model: url, result: { ...result, logits: Array.from(result.logits) } });
  } catch (error) {
    const message = (error as Error).message;
    status.textContent = `error: ${message}`;
    finish({ state: 'error', message });
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
void run();

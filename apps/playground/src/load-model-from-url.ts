/**
 * Loading a Hugging Face Falcon-H1 model directory over HTTP (the browser's `fetch`): `<base>/config.json` and
 * `<base>/model.safetensors`. hybrid-block's `loadFalconH1` reads directories from disk (Node only); this is its
 * counterpart for a page: the same config parser, the same checkpoint check before anything is allocated, the
 * same Hugging Face parameter names. One-file checkpoints only (what a model small enough for a tab ships).
 */
import {
  type Backend,
  type DType,
  parseSafetensors,
  storageToValues,
  tensor,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import {
  CheckpointError,
  checkpointProblems,
  FalconH1ForCausalLM,
  falconH1ParameterShapes,
  parseFalconH1ConfigJson,
} from '@falcon-h1/hybrid-block';

export interface UrlLoadOptions {
  /** The dtype the model computes in. Default f32. */
  dtype?: DType;
  backend?: Backend;
  /** Called with a line of progress ('fetching model.safetensors', …). */
  onProgress?(message: string): void;
}

async function fetchOk(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new CheckpointError(`cannot fetch '${url}': ${(error as Error).message}`);
  }
  if (!response.ok) throw new CheckpointError(`cannot fetch '${url}': HTTP ${response.status} ${response.statusText}`);
  return response;
}

/** `base` is the directory URL (with or without a trailing slash), absolute or relative to the page. */
export async function loadFalconH1FromUrl(base: string, options: UrlLoadOptions = {}): Promise<FalconH1ForCausalLM> {
  const dir = base.endsWith('/') ? base : `${base}/`;
  const progress = options.onProgress ?? (() => {});
  const configUrl = `${dir}config.json`;
  progress(`fetching ${configUrl}`);
  const config = parseFalconH1ConfigJson(await (await fetchOk(configUrl)).text(), configUrl);
  const weightsUrl = `${dir}model.safetensors`;
  progress(`fetching ${weightsUrl}`);
  const file = parseSafetensors(new Uint8Array(await (await fetchOk(weightsUrl)).arrayBuffer()), weightsUrl);
  const expected = falconH1ParameterShapes(config);
  const problems = checkpointProblems(
    expected,
    file.tensors,
    new Set(config.tie_word_embeddings ? ['lm_head.weight'] : []),
  );
  if (problems.length > 0) {
    throw new CheckpointError(`'${weightsUrl}' does not match its config.json:\n  ${problems.join('\n  ')}`);
  }
  progress(`uploading ${expected.length} parameters`);
  const dtype = options.dtype ?? 'f32';
  const parameters = new Map<string, Variable>();
  try {
    for (const { name } of expected) {
      // Through host values whatever the file's dtype: 16-bit floats widen exactly, then round once to `dtype`.
      const entry = file.tensors.get(name)!;
      const values = storageToValues(entry.storage(), entry.dtype) as ArrayLike<number>;
      const upload = tensor(values, entry.shape, dtype, options.backend);
      parameters.set(name, variable(upload, { name }));
      upload.dispose();
    }
    return new FalconH1ForCausalLM(config, parameters);
  } catch (error) {
    for (const parameter of parameters.values()) parameter.dispose();
    throw error;
  }
}

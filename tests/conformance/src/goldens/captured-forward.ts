/**
 * The model's forward captured as a graph and replayed (backends with `graphs`: CUDA, WebGPU): what a fixed-shape
 * prefill — a server's fixed-size prefill chunk, a benchmark's repeated prompt — runs when no host dispatch paces it.
 * It follows graph-capture.ts's rules: the ids are a variable captured holding zeros and overwritten with the
 * fixture's ids before the replay, and the positions are a tensor made before capturing (so nothing is uploaded
 * while recording). The logits of the replay are then compared with the golden like the eager forward's.
 */
import { type Backend, captureGraph, overwrite, type Tensor, tensor, variable } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import type { GoldenTensor } from './golden-fixture.js';

/** The logits of one replay of the captured forward over `inputIds` [B, T] (one document per row), and its time. */
export async function capturedForwardLogits(
  model: FalconH1ForCausalLM,
  inputIds: GoldenTensor,
  backend: Backend,
): Promise<{ logits: ArrayLike<number>; ms: number }> {
  const [b, t] = inputIds.shape as [number, number];
  const started = performance.now();
  const zeros = tensor(new Int32Array(b * t), [b, t], 'i32', backend);
  const ids = variable(zeros, { trainable: false }); // a copy of zeros
  zeros.dispose();
  const positions = tensor(
    Int32Array.from({ length: b * t }, (_, i) => i % t),
    [b, t],
    'i32',
    backend,
  );
  const fixtureIds: Tensor = tensor(inputIds.values, [b, t], 'i32', backend);
  let graph: ReturnType<typeof captureGraph<Tensor>> | undefined;
  try {
    graph = captureGraph(() => model.forward(ids, { positions }).logits, backend);
    overwrite(ids, fixtureIds);
    graph.replay();
    const logits = (await graph.outputs.data()) as ArrayLike<number>;
    return { logits, ms: performance.now() - started };
  } finally {
    graph?.dispose();
    ids.dispose();
    positions.dispose();
    fixtureIds.dispose();
  }
}

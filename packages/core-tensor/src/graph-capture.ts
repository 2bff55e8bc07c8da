/**
 * Graph capture: record the kernels of a step once, replay them many times. A decode step of a large model is a
 * few thousand small kernels; launched one N-API call at a time the host, not the GPU, sets the pace. A backend with
 * `graphs` (CUDA Graphs) records them instead and replays the whole step with one call.
 *
 * The rules a captured step follows (the backend enforces the first two):
 * - No uploads, downloads or synchronisation inside: constants and inputs are made before capturing.
 * - A replay reads and writes exactly the buffers the capture saw. So inputs are variables the caller updates in
 *   place (`overwrite`) between replays, state carried to the next replay is written back in place with `overwrite`
 *   inside the step, and outputs are the tensors the step returned (their contents change with every replay).
 * - Capturing records without computing: nothing the step returns holds values before the first `replay()`.
 */
import { getBackend } from './backend-registry.js';
import { ENGINE } from './engine.js';
import type { Backend } from './kernel-contract.js';
import { reshape } from './ops/reshape.js';
import type { Tensor, Variable } from './tensor.js';

/** The tensors a captured step returns. */
export type CapturedOutputs = Tensor | readonly Tensor[] | Readonly<Record<string, Tensor>>;

export interface CapturedGraph<T extends CapturedOutputs> {
  /** The step's outputs; every `replay()` overwrites their contents. */
  readonly outputs: T;
  /** Enqueues one run of the recorded step. */
  replay(): void;
  /** Frees the graph and its outputs. */
  dispose(): void;
}

function tensorsOf(outputs: CapturedOutputs): Tensor[] {
  if (Array.isArray(outputs)) return [...outputs];
  if ('dataId' in (outputs as object)) return [outputs as Tensor];
  return Object.values(outputs as Record<string, Tensor>);
}

/** Whether `backend` can capture graphs (and update buffers in place, which a replayed step needs). */
export function canCaptureGraphs(backend: Backend = getBackend()): boolean {
  return backend.graphs !== undefined && backend.overwrite !== undefined;
}

/**
 * Records `step` (run once, under `tidy` and without gradient tapes) into a graph of `backend`. Throws, naming the
 * backend, where graphs are not supported; whatever the step tried that cannot be captured (an upload, a readback)
 * surfaces as the backend's error and the capture is abandoned.
 */
export function captureGraph<T extends CapturedOutputs>(
  step: () => T,
  backend: Backend = getBackend(),
): CapturedGraph<T> {
  const graphs = backend.graphs;
  if (!graphs || !backend.overwrite) {
    throw new Error(`captureGraph: backend '${backend.name}' cannot capture graphs (no graphs/overwrite support)`);
  }
  graphs.begin();
  let outputs: T;
  try {
    outputs = ENGINE.noGrad(() => ENGINE.tidy(step));
  } catch (error) {
    graphs.release(graphs.end());
    throw error;
  }
  const handle = graphs.end();
  // The graph writes into these buffers on every replay: hold them (views share the buffer) so a caller's
  // dispose() of an output cannot hand the memory to another tensor while the graph lives.
  const holds = tensorsOf(outputs).map((t) => ENGINE.keep(reshape(t, t.shape)));
  let released = false;
  return {
    outputs,
    replay() {
      if (released) throw new Error('captureGraph: replay() after dispose()');
      graphs.replay(handle);
    },
    dispose() {
      if (released) return;
      released = true;
      graphs.release(handle);
      for (const t of [...holds, ...tensorsOf(outputs)]) t.dispose();
    },
  };
}

/**
 * Copies `value` into `target` in place where the backend can (`Backend.overwrite`), so buffers a captured graph
 * reads keep their address; elsewhere it is `target.assign(value)` (same contents, a new buffer).
 */
export function overwrite<V extends Variable>(target: V, value: Tensor): void {
  if (value.dtype !== target.dtype || value.shape.join(',') !== target.shape.join(',')) {
    throw new Error(
      `overwrite: cannot write ${value.dtype}[${value.shape.join(', ')}] into '${target.name}' of ${target.dtype}[${target.shape.join(', ')}]`,
    );
  }
  if (value.backend !== target.backend) {
    throw new Error(`overwrite: value on '${value.backend.name}', variable on '${target.backend.name}'`);
  }
  if (value.isDisposedInternal || target.isDisposedInternal) throw new Error('overwrite: a disposed tensor');
  if (value.dataId === target.dataId) return;
  if (target.backend.overwrite) target.backend.overwrite(target, value);
  else target.assign(value as never);
}

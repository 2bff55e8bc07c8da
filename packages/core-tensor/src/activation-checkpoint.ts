/**
 * Activation checkpointing (gradient checkpointing, rematerialisation), like torch.utils.checkpoint with
 * non-reentrant semantics: `checkpoint(fn, inputs)` runs fn without saving its intermediates for backward and
 * records ONE tape operation whose gradient re-runs fn on the saved inputs under a fresh tape and differentiates it.
 * A training step then holds one checkpointed block's activations at a time plus the block boundaries, instead of
 * every intermediate of every block, for the price of a second forward pass of each block.
 *
 * Differentiated tensors fn reads from its closure (a layer's parameters) are found while fn runs: a probe tape,
 * whose watched set is a live view of the suspended tapes' watched sets, records exactly the operations that read
 * one of them. Those tensors join the recorded operation's inputs, so their gradients reach the outer backward pass
 * and the tape keeps them alive.
 *
 * Contract:
 *  - fn must be deterministic (recomputation must reproduce the forward bit for bit; our kernels are, and there is
 *    no random op) and free of side effects that must not happen twice (a generation cache, say);
 *  - pass as `inputs` every tensor fn reads that is neither a Variable nor differentiated: the tape keeps inputs
 *    alive for the recomputation, while other closure tensors must outlive the backward pass by themselves;
 *  - fn returns tensors it computes, or its inputs unchanged (never another pre-existing tensor);
 *  - a Variable fn reads must not be assigned between the forward and the backward pass (checked).
 */
import { vjp } from './autograd.js';
import { isFloatDType } from './dtype.js';
import { ENGINE, type GradFunc, type Tape, type TapeNode } from './engine.js';
import type { DataId } from './kernel-contract.js';
import type { Tensor } from './tensor.js';

/** What a checkpointed function may return: one tensor or an array of tensors. */
export type CheckpointOutputs = Tensor | readonly Tensor[];

/**
 * Runs `fn(...inputs)`; while a gradient tape records, its intermediates are freed when it returns and recomputed
 * during the backward pass. Gradients flow to the inputs and to every differentiated tensor fn reads from its
 * closure. With no tape recording it is exactly `fn(...inputs)`.
 */
export function checkpoint<T extends CheckpointOutputs, A extends readonly Tensor[]>(
  fn: (...inputs: A) => T,
  inputs: A,
): T {
  if (ENGINE.tapes.length === 0) return fn(...inputs);
  for (const input of inputs) ENGINE.assertLive(input);

  // Run fn with the recording tapes suspended and a probe in their place; `tidy` frees fn's intermediates (the
  // probe's hold on them ends when it is released, right after).
  const outer = [...ENGINE.tapes];
  const probe: Tape = { watched: new SuspendedTapesView(outer), nodes: [], held: [] };
  let result: T;
  let reads: Tensor[];
  try {
    result = ENGINE.noGrad(() => {
      ENGINE.tapes.push(probe);
      try {
        return ENGINE.tidy(() => fn(...inputs), 'checkpoint');
      } finally {
        ENGINE.popTape(probe);
      }
    });
    reads = differentiatedReads(probe);
  } finally {
    ENGINE.releaseTape(probe);
  }
  const single = !Array.isArray(result);
  const produced = single ? [result as Tensor] : [...(result as readonly Tensor[])];
  if (produced.length === 0 || !produced.every(isTensor)) {
    throw new Error('checkpoint: fn must return a tensor or a non-empty array of tensors');
  }
  if (reads.length === 0) return result; // nothing fn read is being differentiated: no gradient to route

  const explicit = new Set<Tensor>(inputs);
  const differentiable = inputs.map((t) => reads.includes(t));
  const captured = reads.filter((t) => !explicit.has(t));
  // An output that is a pre-existing tensor (fn returned an input unchanged) gets a view of its own, so the recorded
  // operation has outputs distinct from its inputs.
  const before = new Set<Tensor>([...inputs, ...captured]);
  const outputs = produced.map((t) => (before.has(t) ? ENGINE.makeView(t, t.shape) : t));
  const attrs: CheckpointAttrs = {
    fn: fn as unknown as (...inputs: readonly Tensor[]) => CheckpointOutputs,
    differentiable,
    fresh: produced.map((t) => !before.has(t)),
    capturedDataIds: captured.map((t) => t.dataId),
  };
  ENGINE.record(
    'Checkpoint',
    { inputs: [...inputs], captured },
    Object.fromEntries(outputs.map((t, i) => [String(i), t])),
    attrs,
    checkpointGradient,
  );
  return (single ? outputs[0] : outputs) as unknown as T;
}

interface CheckpointAttrs {
  readonly fn: (...inputs: readonly Tensor[]) => CheckpointOutputs;
  /** Per input: whether a suspended tape watched it when fn read it. */
  readonly differentiable: readonly boolean[];
  /** Per output: whether fn computed it (rather than returning an input unchanged). */
  readonly fresh: readonly boolean[];
  /** The buffers of the captured tensors at forward time (an assigned Variable gets a new buffer). */
  readonly capturedDataIds: readonly DataId[];
}

/**
 * A watched set that answers for the tapes a checkpoint suspended: `has` is true for what any of them watches, and
 * the probe adds nothing, so the probe records only the operations that read a differentiated tensor directly.
 */
class SuspendedTapesView extends Set<number> {
  private readonly tapes: readonly Tape[];

  constructor(tapes: readonly Tape[]) {
    super();
    this.tapes = tapes;
  }

  override has(id: number): boolean {
    return this.tapes.some((tape) => tape.watched.has(id));
  }

  override add(_id: number): this {
    return this;
  }
}

/** The tensors the probe saw fn read that a suspended tape watches, in first-read order. */
function differentiatedReads(probe: Tape): Tensor[] {
  const seen = new Set<Tensor>();
  for (const node of probe.nodes) {
    for (const value of Object.values(node.inputs)) {
      if (value === undefined) continue;
      for (const t of Array.isArray(value) ? value : [value]) {
        if (isFloatDType(t.dtype) && probe.watched.has(t.id)) seen.add(t);
      }
    }
  }
  return [...seen];
}

/** Re-runs fn on the saved inputs under a fresh tape and returns its vector-Jacobian product. */
const checkpointGradient: GradFunc = (dys, node: TapeNode) => {
  const attrs = node.attrs as CheckpointAttrs;
  const inputs = node.inputs.inputs as Tensor[];
  const captured = node.inputs.captured as Tensor[];
  captured.forEach((t, i) => {
    if (t.dataId !== attrs.capturedDataIds[i]) {
      throw new Error(
        `checkpoint: ${nameOf(t)} was assigned between the forward and the backward pass; the recomputation would not reproduce the forward`,
      );
    }
  });
  const xs = [...inputs.filter((_, i) => attrs.differentiable[i]), ...captured];
  const outputCount = Object.keys(node.outputs).length;
  const cotangents = Array.from({ length: outputCount }, (_, i) => dys[String(i)]);
  const { value, grads } = vjp(
    () => {
      const recomputed = attrs.fn(...inputs);
      return Array.isArray(recomputed) ? recomputed : [recomputed as Tensor];
    },
    xs,
    cotangents,
  );
  // The recomputed outputs are not needed (those fn computed, that is: an input returned unchanged is not ours).
  value.forEach((t, i) => {
    if (attrs.fresh[i]) t.dispose();
  });
  let next = 0;
  const inputGrads = inputs.map((_, i) => (attrs.differentiable[i] ? grads[next++] : undefined));
  return { inputs: inputGrads, captured: grads.slice(next) };
};

function nameOf(t: Tensor): string {
  return 'name' in t ? `variable '${String(t.name)}'` : t.toString();
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'dataId' in value && 'backend' in value;
}

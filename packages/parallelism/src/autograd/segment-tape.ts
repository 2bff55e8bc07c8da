/**
 * Autograd across communication: a rank's forward pass as a sequence of *segments* (synchronous computations
 * without communication) and *communication steps* (async, with a known adjoint), differentiated in reverse.
 *
 * Why segments: core's `vjp(f, xs, dys)` runs f and its backward pass in one synchronous call, while collectives
 * are async and a layout's backward needs them between the pieces (Megatron's f/g operators, the reverse of a
 * send, a reduce-scatter for an all-gather). So each segment runs once in the forward pass without a tape, keeps
 * only its inputs, and is recomputed under `vjp` when the backward pass reaches it — the full activation
 * recomputation that large-scale training uses anyway (one extra forward per step). A core API that keeps a tape
 * open across an await would remove the recomputation; the layouts would not change.
 *
 * Gradients of parameters accumulate over segments (and over calls, for gradient accumulation across
 * micro-batches); `onGradientReady` fires when a parameter's gradient is final for this tape — the moment data
 * parallelism may start reducing it while the backward pass goes on.
 *
 * Every communication step runs in the backward pass even when no gradient reached it (with zeros), so that the
 * ranks' sequences of operations stay matched.
 */
import {
  add,
  copy,
  dispose,
  isFloatDType,
  noGrad,
  type Tensor,
  tidy,
  type Variable,
  vjp,
  zeros,
} from '@falcon-h1/core-tensor';

/** A synchronous piece of forward computation: inputs → outputs, reading `parameters`. */
export type SegmentFn = (inputs: readonly Tensor[]) => Tensor[];

/** The adjoint of a communication step: output gradients (zeros where none arrived) → input gradients. */
export type CommunicationAdjoint = (dOutputs: readonly Tensor[]) => Promise<(Tensor | undefined)[]>;

type TapeRecord =
  | {
      kind: 'segment';
      fn: SegmentFn;
      inputs: readonly Tensor[];
      outputs: readonly Tensor[];
      parameters: readonly Variable[];
    }
  | { kind: 'communication'; inputs: readonly Tensor[]; outputs: readonly Tensor[]; adjoint: CommunicationAdjoint };

export interface SegmentTapeOptions {
  /** Called once per parameter when its gradient (accumulated in `gradients`) is final for this tape. */
  onGradientReady?: (parameter: Variable, gradient: Tensor) => void;
}

export class SegmentTape {
  private readonly records: TapeRecord[] = [];
  private readonly owned: Tensor[] = [];

  /**
   * `gradients` is where parameter gradients accumulate: pass one map to several tapes (micro-batches) to sum
   * their gradients. The caller disposes what it holds.
   */
  constructor(
    readonly gradients: Map<Variable, Tensor> = new Map(),
    private readonly options: SegmentTapeOptions = {},
  ) {}

  /** Runs `fn` now (no tape) and records it for recomputation; `parameters` are the variables it reads. */
  segment(fn: SegmentFn, inputs: readonly Tensor[], parameters: readonly Variable[] = []): Tensor[] {
    const outputs = noGrad(() => tidy(() => fn(inputs)));
    this.records.push({ kind: 'segment', fn, inputs, outputs, parameters });
    this.owned.push(...outputs);
    return outputs;
  }

  /** Records a communication step that produced `outputs` from `inputs`, with its adjoint. */
  communication(inputs: readonly Tensor[], outputs: readonly Tensor[], adjoint: CommunicationAdjoint): void {
    this.records.push({ kind: 'communication', inputs, outputs, adjoint });
    this.owned.push(...outputs);
  }

  /**
   * The backward pass from `seeds` (output, cotangent) pairs: accumulates parameter gradients into `gradients`
   * and returns the gradients of other tensors that asked for them (`wanted`, e.g. a pipeline stage's input).
   */
  async backward(seeds: ReadonlyArray<readonly [Tensor, Tensor]>, wanted: readonly Tensor[] = []): Promise<Tensor[]> {
    const grads = new Map<number, Tensor>();
    const temporaries: Tensor[] = [];
    const accumulate = (target: Tensor, g: Tensor): void => {
      const previous = grads.get(target.id);
      if (previous) {
        grads.set(target.id, add(previous, g));
        temporaries.push(g);
      } else grads.set(target.id, g);
      temporaries.push(grads.get(target.id)!);
    };
    for (const [out, dy] of seeds) grads.set(out.id, dy);
    const finalAt = this.lastUses();
    for (let i = this.records.length - 1; i >= 0; i--) {
      const record = this.records[i]!;
      if (record.kind === 'segment') this.backwardSegment(record, grads, accumulate);
      else {
        const dOutputs = record.outputs.map((o) => grads.get(o.id) ?? zeros(o.shape, o.dtype, o.backend));
        const dInputs = await record.adjoint(dOutputs);
        dOutputs.forEach((d, k) => {
          if (!grads.has(record.outputs[k]!.id)) d.dispose();
        });
        record.inputs.forEach((input, k) => {
          const g = dInputs[k];
          if (g) accumulate(input, g);
        });
      }
      for (const parameter of finalAt.get(i) ?? []) {
        const gradient = this.gradients.get(parameter);
        if (gradient) this.options.onGradientReady?.(parameter, gradient);
      }
    }
    const seeded = new Set(seeds.map(([, dy]) => dy));
    const result = wanted.map((t) => {
      const g = grads.get(t.id);
      return g ? copy(g) : zeros(t.shape, t.dtype, t.backend);
    });
    dispose([...new Set(temporaries)].filter((t) => !seeded.has(t)));
    return result;
  }

  /** Frees every tensor the tape made (segment and communication outputs). */
  dispose(): void {
    dispose(this.owned);
    this.owned.length = 0;
    this.records.length = 0;
  }

  private backwardSegment(
    record: Extract<TapeRecord, { kind: 'segment' }>,
    grads: Map<number, Tensor>,
    accumulate: (target: Tensor, g: Tensor) => void,
  ): void {
    const dOutputs = record.outputs.map((o) => grads.get(o.id));
    if (dOutputs.every((d) => d === undefined)) return; // nothing downstream depends on it: no communication inside
    const differentiable = record.inputs.filter((t) => isFloatDType(t.dtype));
    const { value, grads: g } = vjp(
      () => record.fn(record.inputs),
      [...differentiable, ...record.parameters],
      dOutputs,
    );
    dispose(value);
    for (const [k, input] of differentiable.entries()) accumulate(input, g[k]!);
    record.parameters.forEach((parameter, k) => {
      const gradient = g[differentiable.length + k]!;
      const previous = this.gradients.get(parameter);
      if (previous) {
        this.gradients.set(parameter, add(previous, gradient));
        dispose([previous, gradient]);
      } else this.gradients.set(parameter, gradient);
    });
  }

  /** For each record index, the parameters whose earliest use (so last in the backward pass) it is. */
  private lastUses(): Map<number, Variable[]> {
    const first = new Map<Variable, number>();
    this.records.forEach((record, i) => {
      if (record.kind !== 'segment') return;
      for (const parameter of record.parameters) if (!first.has(parameter)) first.set(parameter, i);
    });
    const byRecord = new Map<number, Variable[]>();
    for (const [parameter, i] of first) byRecord.set(i, [...(byRecord.get(i) ?? []), parameter]);
    return byRecord;
  }
}

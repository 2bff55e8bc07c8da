/**
 * ZeRO stage 1: AdamW whose state is sharded over the data-parallel ranks. Each gradient bucket (see
 * gradient-buckets.ts, 'reduceScatter' mode) is owned slice by slice: rank r keeps the master copy of slice r of
 * the bucket's parameters and its two moments, updates that slice with its reduce-scattered gradient, and
 * all-gathers the updated slices so every rank holds the whole new parameters again. Optimizer memory per rank
 * drops by the data-parallel degree; communication is the same volume as a plain all-reduce (reduce-scatter +
 * all-gather).
 *
 * With parameter groups (the second constructor form) it is core-tensor's `AdamW` sharded: the same groups, the
 * same per-group lr / weight-decay multipliers (μP's, falcon-h1-reference.md §5), a base `lr` a schedule sets each
 * step, and the same `AdamWState` for checkpoints. A rank's slice can cut across parameters of several groups, so
 * the slice is held as *pieces* — runs of the slice whose parameters share a group — and one `adamWMulti` call
 * updates every piece of a bucket, each at its group's lr and weight decay. AdamW is element-wise, so each element
 * gets exactly the arithmetic the replicated optimizer gives it.
 *
 * Checkpoints use the replicated optimizer's layout: `exportState()` (a collective) all-gathers the moments into
 * one `AdamWState` per parameter, and `loadState()` takes such a state — written at any world size, by ZeRO-1 or by
 * the replicated `AdamW` — and each rank keeps its own slices of it. The bucket layout is only known at the first
 * step (the buckets follow the backward pass), so a loaded state is held whole until that step slices it.
 */
import {
  AdamW,
  type AdamWGroup,
  type AdamWGroupOptions,
  type AdamWHyper,
  type AdamWMultiEntry,
  type AdamWOptions,
  type AdamWState,
  adamWMulti,
  concat,
  copy,
  dispose,
  reshape,
  sliceAxis,
  split,
  type Tensor,
  type Variable,
  variable,
  zeros,
} from '@falcon-h1/core-tensor';
import type { Communicator } from '../communicator.js';
import type { GradientBucket } from './gradient-buckets.js';

/** A run of this rank's slice of a bucket whose parameters all belong to one group. */
interface Piece {
  readonly group: AdamWGroup;
  /** Offset in this rank's slice. */
  readonly offset: number;
  readonly master: Variable;
  readonly m: Variable;
  readonly v: Variable;
}

interface BucketState {
  readonly parameters: readonly Variable[];
  readonly sizes: readonly number[];
  readonly padding: number;
  /** Values per rank's slice. */
  readonly sliceLength: number;
  readonly pieces: Piece[];
  /** Values of the bucket's zero padding at the end of this rank's slice (never updated). */
  readonly paddingTail: number;
}

export interface Zero1StepOptions {
  /** The base learning rate of this step (a schedule's value); sets `lr`. Default: the current `lr`. */
  lr?: number;
}

export class Zero1AdamW {
  private states: BucketState[] = [];
  private steps = 0;
  /**
   * The groups, their lr / weight decay and validation: core-tensor's AdamW itself, which allocates nothing until
   * it steps — this one never steps. It also holds a loaded state until the first step slices it.
   */
  private readonly config: AdamW;
  /** Without groups (the first constructor form) every bucket parameter is in the one group. */
  private readonly grouped: boolean;
  private readonly groupOf = new Map<Variable, AdamWGroup>();

  /** One lr and weight decay for every parameter (no groups: `loadState` is not available). */
  constructor(comm: Communicator, hyper: Omit<AdamWHyper, 'step'>);
  /** AdamW's parameter groups and options: the buckets must hold exactly the groups' parameters. */
  constructor(comm: Communicator, groups: readonly AdamWGroupOptions[], options: AdamWOptions);
  constructor(
    private readonly comm: Communicator,
    hyperOrGroups: Omit<AdamWHyper, 'step'> | readonly AdamWGroupOptions[],
    options?: AdamWOptions,
  ) {
    if (Array.isArray(hyperOrGroups)) {
      if (options === undefined) throw new Error('Zero1AdamW: parameter groups need the AdamW options (lr, …)');
      this.config = new AdamW(hyperOrGroups, options);
      this.grouped = true;
    } else {
      const hyper = hyperOrGroups as Omit<AdamWHyper, 'step'>;
      this.config = new AdamW([{ name: 'all', params: [] }], {
        lr: hyper.lr,
        weightDecay: hyper.weightDecay,
        betas: [hyper.beta1, hyper.beta2],
        eps: hyper.eps,
      });
      this.grouped = false;
    }
    for (const group of this.config.groups) for (const p of group.params) this.groupOf.set(p, group);
  }

  /** The base learning rate (each group's is lr · lrMultiplier). */
  get lr(): number {
    return this.config.lr;
  }

  set lr(value: number) {
    this.config.lr = value;
  }

  get groups(): readonly AdamWGroup[] {
    return this.config.groups;
  }

  /** Every parameter in state order (groups' order; without groups, the buckets' order once known). */
  get parameters(): readonly Variable[] {
    return this.grouped ? this.config.parameters : this.states.flatMap((s) => s.parameters);
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** One step from the buckets of this step's backward pass; the parameters are updated in place on every rank. */
  async step(buckets: readonly GradientBucket[], options: Zero1StepOptions = {}): Promise<void> {
    if (options.lr !== undefined) this.lr = options.lr;
    if (!Number.isFinite(this.lr) || this.lr < 0)
      throw new Error(`Zero1AdamW: lr must be finite and ≥ 0, got ${this.lr}`);
    if (this.states.length === 0) this.buildStates(buckets);
    else this.checkSameBuckets(buckets);
    const step = this.steps + 1;
    const gathered = buckets.map(async (bucket, k) => {
      const state = this.states[k]!;
      const gradient = await bucket.reduced;
      try {
        this.update(state, gradient, step);
      } finally {
        gradient.dispose();
      }
      const slice = this.sliceOf(state, (p) => p.master, state.parameters[0]!.dtype);
      try {
        return await this.comm.allGather(slice);
      } finally {
        slice.dispose();
      }
    });
    for (const [k, pending] of gathered.entries()) {
      const flat = await pending;
      const state = this.states[k]!;
      const parts = this.splitBucket(flat, state);
      state.parameters.forEach((p, i) => {
        const value = reshape(parts[i]!, p.shape);
        p.assign(value);
        value.dispose();
      });
      dispose([flat, ...parts]);
    }
    this.steps = step;
  }

  /**
   * The whole optimizer state in the replicated AdamW's layout (per parameter, in `parameters` order) — the same
   * on every rank, whatever the world size. A collective: every rank calls it at the same point. The tensors are
   * new and the caller's to dispose (each rank holds the whole state until then).
   */
  async exportState(): Promise<AdamWState> {
    if (this.states.length === 0) {
      // No step since construction or loadState: the loaded state (or none) is the state.
      const held = this.config.state();
      return {
        step: this.steps,
        moments: held.moments.map(({ name, m, v }) => ({ name, m: copy(m), v: copy(v) })),
      };
    }
    const byParameter = new Map<Variable, { m: Tensor; v: Tensor }>();
    for (const state of this.states) {
      const [m, v] = await Promise.all([this.gatherMoment(state, (p) => p.m), this.gatherMoment(state, (p) => p.v)]);
      for (const [i, p] of state.parameters.entries()) byParameter.set(p, { m: m[i]!, v: v[i]! });
    }
    return {
      step: this.steps,
      moments: this.parameters.map((p) => ({ name: p.name, ...byParameter.get(p)! })),
    };
  }

  /**
   * Restores a state from `exportState()` or a replicated `AdamW.state()` (of any world size; checked as AdamW
   * checks it, by name and shape). The tensors are copied. The parameters must hold the state's values before the
   * next step, whose buckets each rank's slices are cut from.
   */
  loadState(state: AdamWState): void {
    if (!this.grouped) {
      throw new Error('Zero1AdamW.loadState: construct it with the parameter groups to load a state (by name)');
    }
    this.config.loadState(state); // checks it all before changing anything
    this.disposeStates(); // rebuilt at the next step from the parameters and the loaded moments
    this.steps = state.step;
  }

  /** Values of optimizer state (master slice + two moments) this rank holds. */
  get stateElements(): number {
    return this.states.reduce((a, s) => a + 3 * (s.sliceLength - s.paddingTail), 0);
  }

  dispose(): void {
    this.disposeStates();
    this.config.dispose();
  }

  private disposeStates(): void {
    for (const s of this.states) for (const p of s.pieces) dispose([p.master, p.m, p.v]);
    this.states = [];
  }

  /** One adamWMulti call per (betas, eps) for the bucket's pieces, each at its group's lr and weight decay. */
  private update(state: BucketState, gradient: Tensor, step: number): void {
    if (state.pieces.length === 0) return; // this rank's slice is all padding
    const whole = state.pieces.length === 1 && state.paddingTail === 0;
    const grads = state.pieces.map((p) => (whole ? gradient : sliceAxis(gradient, 0, p.offset, p.master.size)));
    try {
      const calls = new Map<string, { group: AdamWGroup; entries: AdamWMultiEntry[] }>();
      state.pieces.forEach((piece, i) => {
        const { lr, weightDecay } = this.config.effective(piece.group);
        const key = `${piece.group.betas[0]}/${piece.group.betas[1]}/${piece.group.eps}`;
        let call = calls.get(key);
        if (!call) {
          call = { group: piece.group, entries: [] };
          calls.set(key, call);
        }
        call.entries.push({ param: piece.master, grad: grads[i]!, m: piece.m, v: piece.v, lr, weightDecay });
      });
      for (const { group, entries } of calls.values()) {
        adamWMulti(entries, { beta1: group.betas[0], beta2: group.betas[1], eps: group.eps, step });
      }
    } finally {
      if (!whole) dispose(grads);
    }
  }

  /** This rank's slice of the pieces' master copies or one of their moments, the padding tail as zeros. */
  private sliceOf(state: BucketState, pick: (p: Piece) => Variable, dtype: Tensor['dtype']): Tensor {
    const parts: Tensor[] = state.pieces.map(pick);
    const tail = state.paddingTail > 0 ? zeros([state.paddingTail], dtype, state.parameters[0]!.backend) : undefined;
    if (tail) parts.push(tail);
    const slice = concat(parts, 0);
    tail?.dispose();
    return slice;
  }

  /** A moment of the whole bucket, all-gathered and cut per parameter. */
  private async gatherMoment(state: BucketState, pick: (p: Piece) => Variable): Promise<Tensor[]> {
    const slice = this.sliceOf(state, pick, momentDType(state.parameters[0]!.dtype));
    const flat = await this.comm.allGather(slice).finally(() => slice.dispose());
    const parts = this.splitBucket(flat, state);
    const out = state.parameters.map((p, i) => reshape(parts[i]!, p.shape));
    dispose([flat, ...parts]);
    return out;
  }

  /** A flat bucket → one flat tensor per parameter, then the padding (if any). */
  private splitBucket(flat: Tensor, state: BucketState): Tensor[] {
    return split(
      flat,
      [...state.sizes, state.padding].filter((n) => n > 0),
      0,
    );
  }

  private checkSameBuckets(buckets: readonly GradientBucket[]): void {
    if (buckets.length !== this.states.length) {
      throw new Error(
        `ZeRO-1: ${buckets.length} buckets, but ${this.states.length} at the first step (the buckets must not change)`,
      );
    }
    buckets.forEach((bucket, k) => {
      const known = this.states[k]!;
      if (
        known.parameters.length !== bucket.parameters.length ||
        known.parameters.some((p, i) => p !== bucket.parameters[i])
      ) {
        throw new Error(
          `ZeRO-1: bucket ${k} holds other parameters than at the first step (the buckets must not change)`,
        );
      }
    });
  }

  /** At the first step (after construction or loadState): every bucket's slice, pieces and moments. */
  private buildStates(buckets: readonly GradientBucket[]): void {
    const seen = new Set<Variable>();
    for (const bucket of buckets) {
      for (const p of bucket.parameters) {
        if (seen.has(p)) throw new Error(`ZeRO-1: parameter '${p.name}' is in more than one bucket`);
        seen.add(p);
        if (this.grouped && !this.groupOf.has(p)) {
          throw new Error(`ZeRO-1: bucket parameter '${p.name}' is in no optimizer group`);
        }
      }
    }
    if (this.grouped) {
      const missing = this.config.parameters.filter((p) => !seen.has(p));
      if (missing.length > 0) {
        throw new Error(
          `ZeRO-1: no gradient for parameter${missing.length > 1 ? 's' : ''} ${missing.map((p) => `'${p.name}'`).join(', ')}`,
        );
      }
    }
    const loaded = new Map(this.config.state().moments.map((s, i) => [this.config.parameters[i]!, s]));
    try {
      this.states = buckets.map((bucket, k) => this.bucketState(bucket, k, loaded));
    } catch (error) {
      this.disposeStates();
      throw error;
    }
    this.config.dispose(); // the loaded moments are sliced: the whole copy goes
  }

  private bucketState(
    bucket: GradientBucket,
    k: number,
    loaded: ReadonlyMap<Variable, { m: Tensor; v: Tensor }>,
  ): BucketState {
    const first = bucket.parameters[0]!;
    const total = bucket.sizes.reduce((a, b) => a + b, 0);
    const n = (total + bucket.padding) / this.comm.worldSize;
    const begin = this.comm.rank * n;
    // Runs of [begin, begin + n) by group, merged while the group stays the same.
    const runs: Array<{ group: AdamWGroup; offset: number; length: number }> = [];
    let start = 0;
    bucket.parameters.forEach((p, i) => {
      const size = bucket.sizes[i]!;
      const a = Math.max(start, begin);
      const b = Math.min(start + size, begin + n);
      start += size;
      if (a >= b) return;
      const group = this.groupOf.get(p) ?? this.config.groups[0]!;
      const last = runs.at(-1);
      if (last && last.group === group) last.length += b - a;
      else runs.push({ group, offset: a - begin, length: b - a });
    });
    const covered = runs.reduce((a, r) => a + r.length, 0);
    const ownSlice = (tensors: readonly Tensor[], dtype: Tensor['dtype']): Tensor => {
      const pieces: Tensor[] = tensors.map((t) => reshape(t, [t.size]));
      if (bucket.padding > 0) pieces.push(zeros([bucket.padding], dtype, first.backend));
      const flat = concat(pieces, 0);
      const own = sliceAxis(flat, 0, begin, n);
      dispose([...pieces, flat]);
      return own;
    };
    const mDType = momentDType(first.dtype);
    const master = ownSlice(bucket.parameters, first.dtype);
    const moments = bucket.parameters.every((p) => loaded.has(p))
      ? (['m', 'v'] as const).map((which) =>
          ownSlice(
            bucket.parameters.map((p) => loaded.get(p)![which]),
            mDType,
          ),
        )
      : [zeros([n], mDType, first.backend), zeros([n], mDType, first.backend)];
    const piece = (from: Tensor, run: (typeof runs)[number], name: string): Variable => {
      const part = sliceAxis(from, 0, run.offset, run.length);
      const v = variable(part, { name: `zero1.bucket_${k}.${run.group.name}.${name}`, trainable: false });
      part.dispose();
      return v;
    };
    const pieces = runs.map((run) => ({
      group: run.group,
      offset: run.offset,
      master: piece(master, run, 'master'),
      m: piece(moments[0]!, run, 'exp_avg'),
      v: piece(moments[1]!, run, 'exp_avg_sq'),
    }));
    dispose([master, ...moments]);
    return {
      parameters: bucket.parameters,
      sizes: bucket.sizes,
      padding: bucket.padding,
      sliceLength: n,
      pieces,
      paddingTail: n - covered,
    };
  }
}

/** AdamW's moments are f32 (f64 for f64 parameters). */
function momentDType(dtype: Tensor['dtype']): 'f32' | 'f64' {
  return dtype === 'f64' ? 'f64' : 'f32';
}

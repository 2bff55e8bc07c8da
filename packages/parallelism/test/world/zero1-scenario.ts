/**
 * ZeRO-1 against the replicated optimizer on one rank of a thread world, without a model: seven parameters in four
 * μP-style groups (lr and weight-decay multipliers, one group with its own betas and eps), seeded gradients that
 * each rank contributes its share of, two backward passes per step (accumulated), small buckets that cut across
 * parameters and groups, a per-step learning rate. The same steps go to core-tensor's replicated `AdamW` (all-reduced
 * gradients) and to `Zero1AdamW` (reduce-scattered), side by side.
 *
 * The global gradient is the sum of CONTRIBUTIONS fixed pieces, whatever the world size; with `exact` they are small
 * multiples of 2⁻⁶, so every summation order gives the same bits and runs of different world sizes can be compared
 * bit for bit (resume from another world size's checkpoint).
 */
import {
  AdamW,
  type AdamWGroupOptions,
  type AdamWState,
  add,
  type DType,
  dispose,
  globalGradNorm,
  type Tensor,
  tensor,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import {
  addReducedBuckets,
  type Communicator,
  GradientBuckets,
  shardedGradientNorm,
  Zero1AdamW,
} from '../../src/index.js';

export const CONTRIBUTIONS = 4;

/** name, shape, group — in forward order (the backward pass finishes them in reverse). */
export const PARAMETERS: ReadonlyArray<readonly [string, readonly number[], string]> = [
  ['embed', [13, 7], 'embedding'],
  ['layers.0.norm', [7], 'vectors'],
  ['layers.0.proj', [7, 5], 'matrices'],
  ['layers.0.bias', [5], 'vectors'],
  ['layers.1.proj', [5, 9], 'matrices'],
  ['layers.1.norm', [9], 'vectors'],
  ['head', [9, 3], 'head'],
];

const GROUPS: ReadonlyArray<Omit<AdamWGroupOptions, 'params'> & { name: string }> = [
  { name: 'embedding', lrMultiplier: 0.5 },
  { name: 'vectors', lrMultiplier: 2, wdMultiplier: 0 },
  { name: 'matrices' },
  { name: 'head', lrMultiplier: 0.25, wdMultiplier: 3, betas: [0.8, 0.99], eps: 1e-6 },
];

export const OPTIONS = { lr: 0.01, weightDecay: 0.1, betas: [0.9, 0.95] as const, eps: 1e-8 };

/** The schedule: a warm-up then a decay, so every step has its own lr. */
export const scheduledLr = (step: number): number => OPTIONS.lr * (step <= 2 ? step / 2 : 2 / step);

/** Host values of an optimizer state (structured-clonable). */
export interface HostState {
  step: number;
  moments: Array<{ name: string; m: Float32Array | Float64Array; v: Float32Array | Float64Array }>;
}

export interface Zero1Input {
  dtype: 'f32' | 'f64';
  bucketElements: number;
  /** Steps firstStep … lastStep (from 1). */
  firstStep: number;
  lastStep: number;
  exact: boolean;
  /** Resume: the parameters, and a state for each optimizer (exported by either kind). */
  start?: { params: Record<string, Float32Array | Float64Array>; zero1: HostState; replicated: HostState };
}

export interface Zero1Result {
  zero1: Record<string, Float32Array | Float64Array>;
  replicated: Record<string, Float32Array | Float64Array>;
  zero1State: HostState;
  replicatedState: HostState;
  /** Right after loading `start.zero1`, before any step. */
  reExported?: HostState;
  /** Per step: [sharded, replicated] gradient norm. */
  norms: Array<[number, number]>;
  stateElements: number;
}

/** A deterministic value in [-1, 1] of (step, contribution, parameter, element). */
function noise(step: number, c: number, k: number, i: number): number {
  const x = Math.sin(step * 12.9898 + c * 78.233 + k * 37.719 + i * 4.581) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

function initial(k: number, i: number): number {
  return 0.5 * Math.cos(1.7 * k + 0.31 * i);
}

export async function toHost(state: AdamWState): Promise<HostState> {
  const moments = [];
  for (const { name, m, v } of state.moments) {
    moments.push({
      name,
      m: (await m.data()) as Float32Array | Float64Array,
      v: (await v.data()) as Float32Array | Float64Array,
    });
  }
  return { step: state.step, moments };
}

function fromHost(state: HostState, dtype: DType): { state: AdamWState; made: Tensor[] } {
  const made: Tensor[] = [];
  const shapeOf = new Map(PARAMETERS.map(([name, shape]) => [name, shape]));
  const moments = state.moments.map(({ name, m, v }) => {
    const pair = {
      name,
      m: tensor(m, shapeOf.get(name) ?? [m.length], dtype),
      v: tensor(v, shapeOf.get(name) ?? [v.length], dtype),
    };
    made.push(pair.m, pair.v);
    return pair;
  });
  return { state: { step: state.step, moments }, made };
}

async function valuesOf(params: readonly Variable[]): Promise<Record<string, Float32Array | Float64Array>> {
  const out: Record<string, Float32Array | Float64Array> = {};
  for (const p of params) out[p.name] = (await p.data()) as Float32Array | Float64Array;
  return out;
}

function makeParameters(input: Zero1Input): Variable[] {
  return PARAMETERS.map(([name, shape], k) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = input.start?.params[name] ?? Array.from({ length: size }, (_, i) => initial(k, i));
    const t = tensor(values, shape, input.dtype);
    const v = variable(t, { name });
    t.dispose();
    return v;
  });
}

function groupsOf(params: readonly Variable[]): AdamWGroupOptions[] {
  return GROUPS.map((g) => ({ ...g, params: params.filter((_, k) => PARAMETERS[k]![2] === g.name) }));
}

/** This rank's gradient of parameter k in pass `pass` of `step`: its share of the contributions. */
function gradient(input: Zero1Input, comm: Communicator, step: number, pass: number, k: number): Tensor {
  const [, shape] = PARAMETERS[k]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const per = CONTRIBUTIONS / comm.worldSize;
  const values = new Float64Array(size);
  for (let c = comm.rank * per; c < (comm.rank + 1) * per; c++) {
    for (let i = 0; i < size; i++) {
      const x = noise(step * 2 + pass, c, k, i);
      values[i]! += input.exact ? Math.round(x * 64) / 64 : x * (1 + k);
    }
  }
  return tensor(values, shape, input.dtype);
}

/** One backward pass's buckets, gradients added in reverse (backward) order. */
function pass(
  input: Zero1Input,
  comm: Communicator,
  params: readonly Variable[],
  mode: 'allReduce' | 'reduceScatter',
  step: number,
  p: number,
): GradientBuckets {
  const buckets = new GradientBuckets(comm, mode, input.bucketElements);
  const made: Tensor[] = [];
  for (let k = params.length - 1; k >= 0; k--) {
    const g = gradient(input, comm, step, p, k);
    made.push(g);
    buckets.add(params[k]!, g);
  }
  buckets.flush();
  dispose(made);
  return buckets;
}

export async function zero1Scenario(comm: Communicator, raw: Record<string, unknown>): Promise<Zero1Result> {
  const input = raw as unknown as Zero1Input;
  const replicatedParams = makeParameters(input);
  const zero1Params = makeParameters(input);
  const replicated = new AdamW(groupsOf(replicatedParams), OPTIONS);
  const zero1 = new Zero1AdamW(comm, groupsOf(zero1Params), OPTIONS);
  const result: Partial<Zero1Result> = { norms: [] };
  try {
    if (input.start) {
      const momentDType = input.dtype === 'f64' ? 'f64' : 'f32';
      const a = fromHost(input.start.zero1, momentDType);
      zero1.loadState(a.state);
      dispose(a.made);
      const b = fromHost(input.start.replicated, momentDType);
      replicated.loadState(b.state);
      dispose(b.made);
      const again = await zero1.exportState();
      result.reExported = await toHost(again);
      dispose(again.moments.flatMap(({ m, v }) => [m, v]));
    }
    for (let step = input.firstStep; step <= input.lastStep; step++) {
      // Replicated: all-reduced gradients of both passes, added, then AdamW on every rank.
      const summed = new Map<Variable, Tensor>();
      for (let p = 0; p < 2; p++) {
        for (const [param, g] of await pass(input, comm, replicatedParams, 'allReduce', step, p).summedGradients()) {
          const before = summed.get(param);
          summed.set(param, before ? add(before, g) : g);
          if (before) dispose([before, g]);
        }
      }
      const replicatedNorm = await globalGradNorm([...summed.values()]);
      replicated.lr = scheduledLr(step);
      replicated.step(summed);
      dispose([...summed.values()]);
      // ZeRO-1: reduce-scattered slices of both passes, added, then the sharded step.
      let buckets = await addReducedBuckets(
        undefined,
        await pass(input, comm, zero1Params, 'reduceScatter', step, 0).finish(),
      );
      buckets = await addReducedBuckets(
        buckets,
        await pass(input, comm, zero1Params, 'reduceScatter', step, 1).finish(),
      );
      const norm = await shardedGradientNorm(comm, buckets);
      await zero1.step(buckets, { lr: scheduledLr(step) });
      result.norms!.push([norm, replicatedNorm]);
    }
    const exported = await zero1.exportState();
    result.zero1State = await toHost(exported);
    dispose(exported.moments.flatMap(({ m, v }) => [m, v]));
    result.replicatedState = await toHost(replicated.state());
    result.zero1 = await valuesOf(zero1Params);
    result.replicated = await valuesOf(replicatedParams);
    result.stateElements = zero1.stateElements;
    return result as Zero1Result;
  } finally {
    zero1.dispose();
    replicated.dispose();
    dispose([...zero1Params, ...replicatedParams]);
  }
}

/** The refusals, each rank's messages in order. */
export async function zero1RefusalsScenario(comm: Communicator): Promise<string[]> {
  const input: Zero1Input = { dtype: 'f32', bucketElements: 40, firstStep: 1, lastStep: 1, exact: true };
  const params = makeParameters(input);
  const messages: string[] = [];
  const attempt = async (what: () => unknown): Promise<void> => {
    try {
      await what();
      messages.push('no error');
    } catch (error) {
      messages.push((error as Error).message);
    }
  };
  // A state for other parameters.
  const zero1 = new Zero1AdamW(comm, groupsOf(params), OPTIONS);
  const wrong = fromHost(
    {
      step: 1,
      moments: params.map((p, k) => ({
        name: k === 2 ? 'other' : p.name,
        m: new Float32Array(p.size),
        v: new Float32Array(p.size),
      })),
    },
    'f32',
  );
  await attempt(() => zero1.loadState(wrong.state));
  dispose(wrong.made);
  // Buckets without one of the groups' parameters (every rank refuses before any collective).
  const partial = new GradientBuckets(comm, 'reduceScatter', 40);
  const g = tensor(new Float32Array(params[6]!.size), params[6]!.shape, 'f32');
  partial.add(params[6]!, g);
  partial.flush();
  g.dispose();
  const buckets = await partial.finish();
  await attempt(() => zero1.step(buckets));
  await Promise.all(buckets.map(async (b) => (await b.reduced).dispose()));
  zero1.dispose();
  // loadState without groups.
  const legacy = new Zero1AdamW(comm, { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 });
  await attempt(() => legacy.loadState({ step: 0, moments: [] }));
  legacy.dispose();
  dispose(params);
  return messages;
}

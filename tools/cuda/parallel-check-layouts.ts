/**
 * parallel-check-layouts.ts — every layout of @falcon-h1/parallelism against one device, on whatever world
 * `Communicator` it is given (NCCL under `falcon-h1 launch` in parallel-check.ts; worker threads on the reference
 * backend in parallel-check-threads.ts, the CPU dry run). The model is tiny-a's config with 4 layers (so that a
 * pipeline of 2 or 4 stages divides it) and seeded random f32 weights, the batch 4 rows × 24 tokens of packed
 * documents — the shapes of the package's CPU equivalence tests. Each rank computes the one-device loss and
 * gradients itself (the same weights and batch on its own device), runs each layout, and compares what it holds:
 * the loss and, per parameter, its gradient (or its piece of it, for tensor and mixer parallelism) by relative L2,
 * bound 1e-5. ZeRO-1 compares the parameters after two AdamW steps with one device's AdamW.
 *
 * Layouts at world size W: DP W, ZeRO-1 W, TP W (± sequence parallel; where tiny-a's 2 SSM groups and 2 KV heads
 * cannot split over W ranks, on tiny-a widened to W of each, with its own one-device reference), MP naive and
 * interleaved W, CP W (packed documents cross the rank boundaries), PP W (1F1B, 4
 * micro-batches), and at W = 4 the meshes DP 2 × TP 2 (+SP) and DP 2 × CP 2.
 */
import {
  adamW,
  type DType,
  dispose,
  type Tensor,
  tensor,
  type Variable,
  valueAndGrads,
  variable,
  zeros,
} from '@falcon-h1/core-tensor';
import {
  type FalconH1Config,
  type FalconH1ForCausalLM,
  falconH1ConfigToJson,
  parseFalconH1Config,
  parseFalconH1ConfigJson,
  randomFalconH1,
  seededRandom,
} from '@falcon-h1/hybrid-block';
import {
  buildTensorParallelModel,
  type Communicator,
  contextParallelBatch,
  contextParallelForwardBackward,
  cutBatch,
  type DeviceMesh,
  dataParallelBackward,
  deviceMesh,
  disposeTokenBatch,
  evenRange,
  type HostBatch,
  hostBatch,
  type LayerShardPlan,
  type MixerParallelism,
  mixerParallelPlan,
  pipelineForwardBackward,
  shardIndices,
  tensorParallelBatch,
  tensorParallelForwardBackward,
  tensorParallelPlan,
  tokenBatch,
  Zero1AdamW,
} from '../../packages/parallelism/src/index.js';

export interface CheckResult {
  check: string;
  ok: boolean;
  /** Left out at this world size (`detail` says why); counts as passed. */
  skipped?: boolean;
  detail: string;
}

/** fp32 bound of the house rules: relative L2 of the loss and of every gradient. */
export const TOLERANCE = 1e-5;
const BATCH = 4;
const LENGTH = 24;
const SEED = 7;
const ADAM = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
const ZERO1_STEPS = 2;

type Values = Record<string, Float64Array>;

/** ‖got − want‖ / ‖want‖ (NaN anywhere, or a length mismatch, gives Infinity). */
export function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let d2 = 0;
  let w2 = 0;
  for (let i = 0; i < want.length; i++) {
    const d = got[i]! - want[i]!;
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    d2 += d * d;
    w2 += want[i]! * want[i]!;
  }
  return Math.sqrt(d2) / Math.max(Math.sqrt(w2), 1e-300);
}

/** tiny-a with 4 layers (pipelines of 2 and 4 stages divide it). */
export function checkConfig(tinyAConfigText: string): FalconH1Config {
  const json = JSON.parse(tinyAConfigText) as Record<string, unknown>;
  return parseFalconH1ConfigJson(JSON.stringify({ ...json, num_hidden_layers: 4 }));
}

/**
 * tiny-a widened so that `tp` tensor-parallel ranks divide it: `tp` SSM groups and `tp` KV heads (and as many query
 * heads), everything else unchanged — for TP at world sizes tiny-a's own 2 groups cannot split.
 */
export function widenedForTensorParallel(config: FalconH1Config, tp: number): FalconH1Config {
  const heads = Math.max(config.num_attention_heads, tp);
  // Through the config's JSON form (time_step_limit's ∞ and the other floats round-trip there).
  return parseFalconH1Config({
    ...falconH1ConfigToJson(config),
    mamba_n_groups: tp,
    num_key_value_heads: tp,
    num_attention_heads: heads,
    mamba_n_heads: Math.max(config.mamba_n_heads, tp),
  });
}

function wholeBatch(config: FalconH1Config): HostBatch {
  const rng = seededRandom(SEED + 1);
  const ids = Array.from({ length: BATCH * LENGTH }, () => Math.floor(rng.next() * config.vocab_size));
  // Document boundaries inside SSD chunks and on the 6- and 12-token marks where context-parallel ranks meet.
  const runs = [[10, 14], [24], [12, 5, 7], [3, 3, 18]];
  const seqIdx = runs.flatMap((row) => row.flatMap((n, doc) => new Array<number>(n).fill(doc)));
  return hostBatch(ids, BATCH, LENGTH, seqIdx);
}

async function hostValues(t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data(), Number);
}

/** name → values of the gradient (or parameter) of each of `model`'s parameters found in `values`. */
async function byName(model: FalconH1ForCausalLM, values: ReadonlyMap<Variable, Tensor>): Promise<Values> {
  const out: Values = {};
  for (const [name, p] of model.parameters) {
    const t = values.get(p);
    if (t) out[name] = await hostValues(t);
  }
  return out;
}

async function parameterValues(model: FalconH1ForCausalLM): Promise<Values> {
  const out: Values = {};
  for (const [name, p] of model.parameters) out[name] = await hostValues(p);
  return out;
}

interface Reference {
  loss: number;
  grads: Values;
  /** Loss before each AdamW step and the parameters after the last. */
  adam: { losses: number[]; params: Values };
}

/** One device: the loss and every gradient, and ZERO1_STEPS AdamW steps, on this rank's device. */
async function oneDevice(config: FalconH1Config, dtype: DType): Promise<Reference> {
  const model = randomFalconH1(config, { seed: SEED, dtype });
  const host = wholeBatch(config);
  const ids = tensor(host.ids, [BATCH, LENGTH], 'i32');
  const seqIdx = tensor(host.seqIdx!, [BATCH, LENGTH], 'i32');
  const names = [...model.parameters.keys()];
  const parameters = names.map((n) => model.parameters.get(n)!);
  const moment = (p: Variable): Variable => {
    const z = zeros(p.shape, dtype === 'f64' ? 'f64' : 'f32');
    const v = variable(z);
    z.dispose();
    return v;
  };
  const m = parameters.map(moment);
  const v = parameters.map(moment);
  let first: Omit<Reference, 'adam'> | undefined;
  const losses: number[] = [];
  for (let step = 1; step <= ZERO1_STEPS; step++) {
    const { value, grads } = valueAndGrads(() => model.loss(ids, { seqIdx }), parameters);
    losses.push((await value.data())[0] as number);
    if (!first)
      first = { loss: losses[0]!, grads: await byName(model, new Map(parameters.map((p, i) => [p, grads[i]!]))) };
    parameters.forEach((p, i) => {
      adamW(p, grads[i]!, m[i]!, v[i]!, { ...ADAM, step });
    });
    dispose([value, ...grads]);
  }
  const params = await parameterValues(model);
  dispose([...m, ...v, ids, seqIdx]);
  model.dispose();
  return { ...first!, adam: { losses, params } };
}

/** The loss and the worst gradient (or parameter) of `got` against `want` — a PASS/FAIL line. */
function compare(
  check: string,
  loss: number,
  wantLoss: number,
  got: Values,
  want: Values,
  what = 'gradient',
): CheckResult {
  const lossErr = Math.abs(loss - wantLoss) / Math.abs(wantLoss);
  let worst = 0;
  let worstName = '';
  const names = Object.keys(got);
  for (const name of names) {
    const err = want[name] ? relL2(got[name]!, want[name]!) : Number.POSITIVE_INFINITY;
    if (!(err <= worst)) [worst, worstName] = [err, name];
  }
  const ok = names.length > 0 && lossErr <= TOLERANCE && worst <= TOLERANCE;
  return {
    check,
    ok,
    detail:
      `loss ${loss.toPrecision(8)} vs ${wantLoss.toPrecision(8)} (rel ${lossErr.toExponential(2)}), ` +
      `${names.length} ${what}s, worst rel L2 ${worst.toExponential(2)}${worstName ? ` (${worstName})` : ''}`,
  };
}

/** Frees a mesh's communicators (NCCL's ncclCommDestroy; the thread communicator holds nothing to free). */
function releaseMesh(mesh: DeviceMesh): void {
  for (const c of [...Object.values(mesh.groups), mesh.replicas]) (c as { destroy?: () => void }).destroy?.();
}

type Layout = (world: Communicator, config: FalconH1Config, dtype: DType, want: Reference) => Promise<CheckResult>;

const dataParallel: Layout = async (world, config, dtype, want) => {
  const model = randomFalconH1(config, { seed: SEED, dtype });
  const piece = tokenBatch(cutBatch(wholeBatch(config), evenRange(BATCH, world.worldSize, world.rank, 'rows')));
  const { loss, buckets } = await dataParallelBackward(world, model, piece, { bucketElements: 20_000 });
  const summed = await buckets.summedGradients();
  const got = await byName(model, summed);
  dispose([...summed.values()]);
  disposeTokenBatch(piece);
  model.dispose();
  return compare(`DP ${world.worldSize} (${buckets.buckets.length} buckets)`, loss, want.loss, got, want.grads);
};

const zero1: Layout = async (world, config, dtype, want) => {
  const model = randomFalconH1(config, { seed: SEED, dtype });
  const piece = tokenBatch(cutBatch(wholeBatch(config), evenRange(BATCH, world.worldSize, world.rank, 'rows')));
  const optimizer = new Zero1AdamW(world, ADAM);
  const losses: number[] = [];
  for (let step = 0; step < ZERO1_STEPS; step++) {
    const { loss, buckets } = await dataParallelBackward(world, model, piece, {
      bucketElements: 20_000,
      mode: 'reduceScatter',
    });
    await optimizer.step(await buckets.finish());
    losses.push(loss);
  }
  const got = await parameterValues(model);
  optimizer.dispose();
  disposeTokenBatch(piece);
  model.dispose();
  const result = compare(
    `ZeRO-1 AdamW DP ${world.worldSize}, ${ZERO1_STEPS} steps`,
    losses.at(-1)!,
    want.adam.losses.at(-1)!,
    got,
    want.adam.params,
    'parameter',
  );
  return result;
};

/** Tensor or mixer parallelism over the TP axis of a DP × TP mesh; each rank checks the pieces it holds. */
function tensorParallel(layout: 'tensor' | MixerParallelism, sequenceParallel: boolean, dp = 1): Layout {
  return async (world, config, dtype, want) => {
    const mesh = await deviceMesh(world, { dp, pp: 1, cp: 1, tp: world.worldSize / dp });
    const comm = mesh.groups.tp;
    const full = randomFalconH1(config, { seed: SEED, dtype });
    const plans: LayerShardPlan[][] = Array.from({ length: comm.worldSize }, (_, rank) =>
      Array.from({ length: config.num_hidden_layers }, (_, layer) =>
        layout === 'tensor'
          ? tensorParallelPlan(config, comm.worldSize, rank)
          : mixerParallelPlan(config, comm.worldSize, rank, layer, layout),
      ),
    );
    const model = buildTensorParallelModel(config, full.parameters, plans, comm.rank, sequenceParallel);
    full.dispose();
    const host = cutBatch(wholeBatch(config), evenRange(BATCH, dp, mesh.coordinates.dp, 'rows'));
    const whole = tokenBatch(host);
    const own = tensorParallelBatch(model, comm, host);
    const result = await tensorParallelForwardBackward(comm, model, whole, own);
    // Data parallelism across the tensor-parallel groups: the same pieces on every replica, summed.
    const lossShare = tensor([result.loss], [], dtype);
    const total = await mesh.groups.dp.allReduce(lossShare);
    const loss = (await total.data())[0] as number;
    const got: Values = {};
    const wantPieces: Values = {};
    for (const shard of model.shards) {
      const g = result.gradients.get(model.parameters.get(shard.name)!)!;
      const summed = await mesh.groups.dp.allReduce(g);
      const indices = shardIndices(shard);
      got[shard.name] = await hostValues(summed);
      wantPieces[shard.name] = Float64Array.from(indices, (i) => want.grads[shard.name]![i]!);
      summed.dispose();
    }
    dispose([lossShare, total, ...result.gradients.values(), ...model.parameters.values()]);
    disposeTokenBatch(whole);
    if (own !== whole) disposeTokenBatch(own);
    releaseMesh(mesh);
    const name = layout === 'tensor' ? 'TP' : `MP ${layout}`;
    return compare(
      `${dp > 1 ? `DP ${dp} × ` : ''}${name} ${comm.worldSize}${sequenceParallel ? ' + SP' : ''} (own pieces)`,
      loss,
      want.loss,
      got,
      wantPieces,
    );
  };
}

function contextParallel(dp = 1): Layout {
  return async (world, config, dtype, want) => {
    const mesh = await deviceMesh(world, { dp, pp: 1, cp: world.worldSize / dp, tp: 1 });
    const model = randomFalconH1(config, { seed: SEED, dtype });
    const rows = cutBatch(wholeBatch(config), evenRange(BATCH, dp, mesh.coordinates.dp, 'rows'));
    const batch = contextParallelBatch(rows, mesh.groups.cp);
    const { loss, gradients } = await contextParallelForwardBackward(mesh.groups.cp, model, batch, {
      bucketElements: 30_000,
      replicas: mesh.replicas,
    });
    const got = await byName(model, gradients);
    dispose([...gradients.values(), ...(batch.keySeqIdx ? [batch.keySeqIdx] : [])]);
    disposeTokenBatch(batch);
    model.dispose();
    releaseMesh(mesh);
    return compare(
      `${dp > 1 ? `DP ${dp} × ` : ''}CP ${mesh.groups.cp.worldSize}, packed documents`,
      loss,
      want.loss,
      got,
      want.grads,
    );
  };
}

const pipeline: Layout = async (world, config, dtype, want) => {
  const model = randomFalconH1(config, { seed: SEED, dtype });
  const host = wholeBatch(config);
  const microBatches = Array.from({ length: BATCH }, (_, row) => tokenBatch(cutBatch(host, [row, row + 1])));
  const { loss, gradients, peakInFlight } = await pipelineForwardBackward(world, model, microBatches);
  const got = await byName(model, gradients);
  dispose([...gradients.values()]);
  for (const b of microBatches) disposeTokenBatch(b);
  model.dispose();
  const result = compare(
    `PP ${world.worldSize} 1F1B, ${BATCH} micro-batches (this stage's ${Object.keys(got).length} parameters)`,
    loss,
    want.loss,
    got,
    want.grads,
  );
  return { ...result, detail: `${result.detail}, peak in flight ${peakInFlight}` };
};

/** The layouts to check at world size `w` (with the config each runs on, where not `config`), or why one is left out. */
function layoutsFor(w: number, config: FalconH1Config): Array<[string, Layout | string, FalconH1Config?]> {
  const canTensorParallel = (tp: number): string | undefined => {
    try {
      tensorParallelPlan(config, tp, 0);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  const tpProblem = canTensorParallel(w);
  // Where tiny-a cannot split over w ranks, TP runs on tiny-a widened to w SSM groups and KV heads.
  const tpConfig = tpProblem ? widenedForTensorParallel(config, w) : undefined;
  const list: Array<[string, Layout | string, FalconH1Config?]> = [
    ['DP', dataParallel],
    ['ZeRO-1', zero1],
    [tpConfig ? `TP (tiny-a with ${w} SSM groups, ${w} KV heads)` : 'TP', tensorParallel('tensor', false), tpConfig],
    [
      tpConfig ? `TP+SP (tiny-a with ${w} SSM groups, ${w} KV heads)` : 'TP+SP',
      tensorParallel('tensor', true),
      tpConfig,
    ],
    ['MP naive', tensorParallel('naive', false)],
    ['MP interleaved', tensorParallel('interleaved', true)],
    ['CP', LENGTH % w === 0 ? contextParallel() : `CP ${w} skipped: ${LENGTH} tokens do not split over ${w} ranks`],
    [
      'PP',
      config.num_hidden_layers >= w ? pipeline : `PP ${w} skipped: ${config.num_hidden_layers} layers < ${w} stages`,
    ],
  ];
  if (w === 4) {
    list.push(['DP×TP', tensorParallel('tensor', true, 2)], ['DP×CP', contextParallel(2)]);
  } else list.push(['meshes', `DP 2 × TP 2 and DP 2 × CP 2 need 4 ranks (world ${w})`]);
  return list;
}

/**
 * Runs every layout's check on `world` (every rank calls it; the checks are collectives, in the same order on
 * every rank). `only` filters by layout name. Each result is also handed to `report` as it is known.
 */
export async function checkLayouts(
  world: Communicator,
  tinyAConfigText: string,
  options: { dtype?: DType; only?: RegExp; report?: (r: CheckResult) => void } = {},
): Promise<CheckResult[]> {
  const dtype = options.dtype ?? 'f32';
  const config = checkConfig(tinyAConfigText);
  const want = await oneDevice(config, dtype);
  const references = new Map<FalconH1Config, Reference>([[config, want]]);
  const results: CheckResult[] = [];
  const report = (r: CheckResult): void => {
    results.push(r);
    options.report?.(r);
  };
  for (const [name, layout, own] of layoutsFor(world.worldSize, config)) {
    if (options.only && !options.only.test(name)) continue;
    if (typeof layout === 'string') {
      report({ check: name, ok: true, skipped: true, detail: layout });
      continue;
    }
    const started = performance.now();
    try {
      const layoutConfig = own ?? config;
      let reference = references.get(layoutConfig);
      if (!reference) {
        reference = await oneDevice(layoutConfig, dtype);
        references.set(layoutConfig, reference);
      }
      const r = await layout(world, layoutConfig, dtype, reference);
      report({ ...r, detail: `${r.detail}; ${((performance.now() - started) / 1000).toFixed(1)} s` });
    } catch (error) {
      // A rank that throws mid-layout leaves its peers in a collective: the caller's watchdog ends the run.
      report({ check: name, ok: false, detail: (error as Error).stack ?? String(error) });
    }
    await world.barrier();
  }
  return results;
}

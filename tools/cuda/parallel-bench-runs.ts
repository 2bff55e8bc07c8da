/**
 * parallel-bench-runs.ts — the two benchmarks of parallel-bench.ts (DP scaling; MP vs TP), written against a
 * `Communicator` and a few device hooks, so that parallel-bench-threads.ts can dry-run their logic on CPU (thread
 * world, reference backend, tiny shapes) before a GPU host times them on NCCL.
 */
import { adamW, type DType, dispose, tensor, type Variable, variable, zeros } from '@falcon-h1/core-tensor';
import type { FalconH1Config } from '@falcon-h1/hybrid-block';
import { randomFalconH1 } from '@falcon-h1/hybrid-block';
import {
  type BalancedMixerSplit,
  balancedMixerPlan,
  balancedMixerSplit,
  buildTensorParallelModel,
  type Communicator,
  dataParallelBackward,
  disposeTokenBatch,
  hostBatch,
  type LayerShardPlan,
  mixerParallelPlan,
  type TensorParallelModel,
  type TokenBatch,
  tensorParallelForwardBackward,
  tensorParallelPlan,
  tokenBatch,
} from '../../packages/parallelism/src/index.js';

/** What the benchmarks need of the device beyond the tensors. */
export interface BenchDevice {
  synchronize(): Promise<void>;
  /** Restarts the peak of live bytes (0-cost no-op where unknown). */
  resetPeak(): void;
  /** Peak live bytes since resetPeak (NaN where unknown). */
  peakBytes(): number;
}

export interface BenchSetup {
  readonly world: Communicator;
  readonly device: BenchDevice;
  readonly config: FalconH1Config;
  readonly dtype: DType;
  /** Micro-batch per GPU: rows × tokens. */
  readonly batch: number;
  readonly tokens: number;
  readonly steps: number;
  /** Values per data-parallel gradient bucket. */
  readonly bucketElements: number;
  /** MP bench: the balanced layout's split (default: derived from the layer costs it measures). */
  readonly balancedSplit?: BalancedMixerSplit;
  /** Prints on rank 0 only. */
  readonly log: (line: string) => void;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Random token ids for this rank (a different stream per rank, as real data parallelism has). */
function randomBatch(setup: BenchSetup, seed: number): TokenBatch {
  const { batch, tokens, config } = setup;
  let s = (seed * 2654435761) >>> 0 || 1;
  const ids = new Int32Array(batch * tokens);
  for (let i = 0; i < ids.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    ids[i] = (s >>> 0) % config.vocab_size;
  }
  return tokenBatch(hostBatch(Array.from(ids), batch, tokens));
}

/** The slowest member's median step (ms) on `group`: one warm-up step (unless told), then `steps` timed ones. */
async function timeSteps(
  setup: BenchSetup,
  group: Communicator,
  step: () => Promise<void>,
  { warmUp = true, steps = setup.steps } = {},
): Promise<number> {
  const { device } = setup;
  if (warmUp) await step();
  await device.synchronize();
  await group.barrier();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await step();
    await device.synchronize();
    times.push(performance.now() - start);
  }
  const mine = tensor([median(times)], [1], 'f32');
  const slowest = await group.allReduce(mine, 'max');
  const ms = (await slowest.data())[0] as number;
  dispose([mine, slowest]);
  return ms;
}

/** A communicator over ranks [0, n) of the world (the others get one they do not use). */
async function firstRanks(world: Communicator, n: number): Promise<Communicator> {
  return world.split(world.rank < n ? 0 : 1);
}

/** Frees an NCCL communicator (the thread one holds nothing to free). */
function release(c: Communicator): void {
  (c as { destroy?: () => void }).destroy?.();
}

export async function dataParallelScaling(setup: BenchSetup): Promise<Record<string, unknown>> {
  const { world, device, config, dtype, batch, tokens, bucketElements, log } = setup;
  const { rank, worldSize: W } = world;
  const model = randomFalconH1(config, { dtype, seed: 7 });
  const parameters = [...model.parameters.values()] as Variable[];
  const moment = (p: Variable): Variable => {
    const z = zeros(p.shape, 'f32');
    const v = variable(z);
    z.dispose();
    return v;
  };
  const m = parameters.map(moment);
  const v = parameters.map(moment);
  const data = randomBatch(setup, 17 + rank);
  const rows: Array<Record<string, number>> = [];
  let adamStep = 0;
  for (const n of [1, 2, 4].filter((k) => k <= W)) {
    const group = await firstRanks(world, n);
    if (rank < n) {
      let buckets = 0;
      device.resetPeak();
      const ms = await timeSteps(setup, group, async () => {
        const result = await dataParallelBackward(group, model, data, { bucketElements });
        buckets = result.buckets.buckets.length;
        const gradients = await result.buckets.summedGradients();
        adamStep++;
        parameters.forEach((p, i) => {
          adamW(p, gradients.get(p)!, m[i]!, v[i]!, {
            lr: 1e-4,
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            weightDecay: 0.1,
            step: adamStep,
          });
        });
        dispose([...gradients.values()]);
      });
      const tokensPerSecond = (n * batch * tokens) / (ms / 1000);
      const one = rows[0]?.tokensPerSecond ?? tokensPerSecond;
      rows.push({
        gpus: n,
        ms,
        tokensPerSecond,
        efficiency: tokensPerSecond / (n * one),
        buckets,
        peakGB: device.peakBytes() / 1e9,
      });
    }
    await world.barrier();
    release(group);
  }
  log('\n| GPUs | step ms | tokens/s | efficiency | buckets | peak GB (rank 0) |');
  log('| ---: | ------: | -------: | ---------: | ------: | ---------------: |');
  for (const r of rows) {
    log(
      `| ${r.gpus} | ${r.ms!.toFixed(0)} | ${Math.round(r.tokensPerSecond!)} | ${(100 * r.efficiency!).toFixed(1)} % | ${r.buckets} | ${r.peakGB!.toFixed(1)} |`,
    );
  }
  dispose([...m, ...v]);
  disposeTokenBatch(data);
  model.dispose();
  return { rows, bucketElements };
}

/** Builds a layout's model on `group` from `planOf(rank, layer)` and times its forward + backward. */
async function timeLayout(
  setup: BenchSetup,
  group: Communicator,
  full: ReturnType<typeof randomFalconH1>,
  data: TokenBatch,
  planOf: (rank: number, layer: number) => LayerShardPlan,
): Promise<{ ms: number; withSumsMs: number; sharedValues: number; peakGB: number }> {
  const { config, device } = setup;
  const plans = Array.from({ length: group.worldSize }, (_, r) =>
    Array.from({ length: config.num_hidden_layers }, (_, layer) => planOf(r, layer)),
  );
  const model: TensorParallelModel = buildTensorParallelModel(config, full.parameters, plans, group.rank, false);
  const run = (sumSharedGradients: boolean) => async () => {
    const { gradients } = await tensorParallelForwardBackward(group, model, data, data, { sumSharedGradients });
    dispose([...gradients.values()]);
  };
  device.resetPeak();
  const ms = await timeSteps(setup, group, run(false));
  const peakGB = device.peakBytes() / 1e9;
  // The whole step a trainer runs: the layers, then the bucketed device sums of the pieces several ranks hold.
  const withSumsMs = await timeSteps(setup, group, run(true));
  dispose([...model.parameters.values()]);
  return { ms, withSumsMs, sharedValues: model.sharedGradients.elements, peakGB };
}

/**
 * One-GPU costs of a layer's attention, SSM and MLP (ms per layer, forward + backward with the tape's
 * recomputation) and of the ends (embedding, head, loss), from four runs on rank 0 alone: the whole model (F),
 * naive MP's attention rank (A: attention + half the MLP), its SSM rank (S: SSM + half the MLP) and the MLPs
 * alone (M). With L layers: F = E + L(a + s + m), A = E + L(a + m/2), S = E + L(s + m/2), M = E + L·m, so
 * E = A + S − F, a − s = (A − S)/L, a + s = (F − M)/L, m = (M − E)/L.
 */
function layerCosts(L: number, F: number, A: number, S: number, M: number) {
  const ends = A + S - F;
  const sum = (F - M) / L;
  const diff = (A - S) / L;
  return { attention: (sum + diff) / 2, ssm: (sum - diff) / 2, mlp: (M - ends) / L, ends };
}

export async function mixerVersusTensor(setup: BenchSetup): Promise<Record<string, unknown>> {
  const { world, config, dtype, batch, tokens, log } = setup;
  const { rank, worldSize: W } = world;
  if (W < 2) throw new Error('parallel-bench mp needs 2 processes');
  const full = randomFalconH1(config, { dtype, seed: 7 });
  const data = randomBatch(setup, 17); // the same rows on both ranks: tensor parallelism splits the model, not the batch
  const L = config.num_hidden_layers;
  const rows: Array<Record<string, number | string>> = [];
  const runOn = async (
    name: string,
    tp: number,
    planOf: (r: number, layer: number) => LayerShardPlan,
  ): Promise<number> => {
    const group = await firstRanks(world, tp);
    let ms = Number.NaN;
    if (rank < tp) {
      const timed = await timeLayout(setup, group, full, data, planOf);
      rows.push({ layout: name, ...timed, tokensPerSecond: (batch * tokens) / (timed.ms / 1000) });
      ms = timed.ms;
    }
    await world.barrier();
    release(group);
    return ms;
  };

  // What naive MP puts on each rank, timed alone on one GPU (no communication): where its time goes.
  const F = await runOn('one GPU', 1, () => tensorParallelPlan(config, 1, 0));
  const A = await runOn('MP attention rank alone', 1, (_, layer) => mixerParallelPlan(config, 2, 0, layer, 'naive'));
  const S = await runOn('MP SSM rank alone', 1, (_, layer) => mixerParallelPlan(config, 2, 1, layer, 'naive'));
  const M = await runOn('MLPs alone', 1, () => ({ mlp: [0, config.intermediate_size] }));
  // Rank 0's figures decide the split; every rank must build the same plans.
  const measured = tensor([F, A, S, M], [4], 'f32');
  const shared = await world.broadcast(measured, 0);
  const [f, a, s, m] = Array.from(await shared.data(), Number) as [number, number, number, number];
  dispose([measured, shared]);
  const costs = layerCosts(L, f, a, s, m);
  const split =
    setup.balancedSplit ??
    balancedMixerSplit(config, 2, {
      attention: Math.max(0, costs.attention),
      ssm: Math.max(0, costs.ssm),
      mlp: Math.max(0, costs.mlp),
    });

  await runOn('TP 2', 2, (r) => tensorParallelPlan(config, 2, r));
  await runOn('MP 2 naive', 2, (r, layer) => mixerParallelPlan(config, 2, r, layer, 'naive'));
  await runOn('MP 2 interleaved', 2, (r, layer) => mixerParallelPlan(config, 2, r, layer, 'interleaved'));
  const balancedName = `MP 2 balanced (${split.ssmHeadsOnAttention} SSM heads, ${split.mlpChannelsOnAttention} MLP channels on the attention rank)`;
  await runOn(balancedName, 2, (r) => balancedMixerPlan(config, 2, r, split));

  log('\nOne GPU, per layer (forward + backward, recomputed forward included), from the runs alone:');
  log(
    `attention ${costs.attention.toFixed(2)} ms, SSM ${costs.ssm.toFixed(2)} ms, MLP ${costs.mlp.toFixed(2)} ms; embedding + head + loss ${costs.ends.toFixed(0)} ms`,
  );
  const byName = new Map(rows.map((r) => [r.layout, r.ms as number]));
  const tpMs = byName.get('TP 2')!;
  const oneMs = byName.get('one GPU')!;
  log(
    '\n| layout | layers fwd+bwd ms | vs TP 2 | vs one GPU | + shared-piece sums ms | values summed | tokens/s (with sums) | peak GB (rank 0) |',
  );
  log(
    '| :----- | ----------------: | ------: | ---------: | ---------------------: | ------------: | -------------------: | ---------------: |',
  );
  for (const r of rows) {
    const ms = r.ms as number;
    const withSums = r.withSumsMs as number;
    log(
      `| ${r.layout} | ${ms.toFixed(0)} | ${(tpMs / ms).toFixed(2)}× | ${(oneMs / ms).toFixed(2)}× | ${withSums.toFixed(0)} | ${r.sharedValues} | ${Math.round((batch * tokens) / (withSums / 1000))} | ${(r.peakGB as number).toFixed(1)} |`,
    );
  }
  disposeTokenBatch(data);
  full.dispose();
  return {
    rows,
    layerCostsMs: costs,
    balancedSplit: split,
    speedUpNaive: tpMs / byName.get('MP 2 naive')!,
    speedUpInterleaved: tpMs / byName.get('MP 2 interleaved')!,
    speedUpBalanced: tpMs / byName.get(balancedName)!,
  };
}

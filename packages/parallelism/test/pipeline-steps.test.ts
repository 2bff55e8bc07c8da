/**
 * The grouped 1F1B communication against a model of NCCL's point-to-point: each rank runs its steps in order (one
 * stream), a group of sends and receives completes only when every one of them has met its peer's matching
 * operation (the k-th send s → d meets the k-th receive at d from s) while that peer's current group is running,
 * and nothing is buffered. The grouped steps complete for every shape tried and every receive gets the tensor its
 * step expects; the same transfers issued one by one deadlock (the hazard the grouping removes).
 */
import { describe, expect, it } from 'vitest';
import { type PipelineStep, type PipelineTransfer, pipelineSteps } from '../src/pipeline-parallel/pipeline-steps.js';

interface Operation {
  readonly key: string;
  readonly peer: number;
  readonly transfer: PipelineTransfer;
}

/** Per rank, its groups of operations, each keyed by (sender, receiver, k). */
function operationsOf(programs: readonly PipelineStep[][]): { send: boolean; ops: Operation[] }[][][] {
  return programs.map((steps, rank) => {
    const count = new Map<string, number>();
    const next = (pair: string): number => {
      const k = count.get(pair) ?? 0;
      count.set(pair, k + 1);
      return k;
    };
    return steps.flatMap((step) => {
      if (step.kind === 'compute') return [];
      const sends = step.sends.map((t) => ({
        key: `${rank}>${t.peer}#${next(`s${t.peer}`)}`,
        peer: t.peer,
        transfer: t,
      }));
      const recvs = step.recvs.map((t) => ({
        key: `${t.peer}>${rank}#${next(`r${t.peer}`)}`,
        peer: t.peer,
        transfer: t,
      }));
      return [
        [
          { send: true, ops: sends },
          { send: false, ops: recvs },
        ],
      ];
    });
  });
}

/** Runs the programs under NCCL's rules; returns whether every rank finished, and the matched pairs. */
function simulate(programs: readonly PipelineStep[][]): {
  finished: boolean;
  pairs: [PipelineTransfer, PipelineTransfer][];
} {
  const groups = operationsOf(programs).map((rank) =>
    rank.map((sides) => sides.flatMap(({ send, ops }) => ops.map((op) => ({ ...op, send })))),
  );
  const head = groups.map(() => 0);
  const done = groups.map(() => new Set<string>());
  const pairs: [PipelineTransfer, PipelineTransfer][] = [];
  for (let progress = true; progress; ) {
    progress = false;
    groups.forEach((rankGroups, rank) => {
      const group = rankGroups[head[rank]!];
      if (!group) return;
      for (const op of group) {
        const side = `${op.send ? 's' : 'r'}${op.key}`;
        if (done[rank]!.has(side)) continue;
        const partner = groups[op.peer]![head[op.peer]!]?.find((o) => o.key === op.key && o.send !== op.send);
        if (!partner) continue;
        done[rank]!.add(side);
        done[op.peer]!.add(`${partner.send ? 's' : 'r'}${partner.key}`);
        pairs.push(op.send ? [op.transfer, partner.transfer] : [partner.transfer, op.transfer]);
      }
      if (group.every((op) => done[rank]!.has(`${op.send ? 's' : 'r'}${op.key}`))) {
        head[rank]!++;
        progress = true;
      }
    });
  }
  return { finished: head.every((h, rank) => h === groups[rank]!.length), pairs };
}

const stagesOf = (stages: number, microBatches: number, make = pipelineSteps): PipelineStep[][] =>
  Array.from({ length: stages }, (_, stage) => make(stages, stage, microBatches));

/** The same transfers, each in a group of its own (plain send and recv). */
const ungrouped = (stages: number, stage: number, microBatches: number): PipelineStep[] =>
  pipelineSteps(stages, stage, microBatches).flatMap((step): PipelineStep[] =>
    step.kind === 'compute'
      ? [step]
      : [
          ...step.sends.map((t): PipelineStep => ({ kind: 'exchange', sends: [t], recvs: [] })),
          ...step.recvs.map((t): PipelineStep => ({ kind: 'exchange', sends: [], recvs: [t] })),
        ],
  );

describe('grouped 1F1B communication', () => {
  it('completes under NCCL rules for 1–6 stages and 1–8 micro-batches, each receive getting its tensor', () => {
    for (let stages = 1; stages <= 6; stages++) {
      for (let m = 1; m <= 8; m++) {
        const { finished, pairs } = simulate(stagesOf(stages, m));
        expect(finished, `${stages} stages, ${m} micro-batches`).toBe(true);
        // Each stage pair moves every micro-batch's activation forward and its gradient back, once.
        expect(pairs.length).toBe(2 * (stages - 1) * m);
        for (const [sent, got] of pairs) {
          expect([got.what, got.microBatch]).toEqual([sent.what, sent.microBatch]);
        }
      }
    }
  });

  it('every compute step of the 1F1B schedule is there, in order', () => {
    const computes = pipelineSteps(3, 1, 4).flatMap((s) =>
      s.kind === 'compute' ? [`${s.action.kind[0]}${s.action.microBatch}`] : [],
    );
    expect(computes).toEqual(['f0', 'f1', 'b0', 'f2', 'b1', 'f3', 'b2', 'b3']);
  });

  it('the same transfers one by one deadlock (2 stages, 2 micro-batches)', () => {
    expect(simulate(stagesOf(2, 2, ungrouped)).finished).toBe(false);
  });
});

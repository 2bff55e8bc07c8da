/**
 * The 1F1B schedule with its communication made explicit and grouped for NCCL. A forward (stage s > 0) first
 * receives its input from stage s − 1 and (s < S − 1) ends by sending its output to s + 1; a backward first
 * receives its output's gradient from s + 1 and ends by sending its input's gradient to s − 1. NCCL's send waits
 * for the peer's matching receive, so issuing these one by one deadlocks as soon as two neighbours send to each
 * other at once (the steady state: s sends activation i to s + 1 while s + 1 sends gradient j back). As in
 * Megatron's schedule (send_forward_recv_backward, send_backward_recv_forward), each compute step's trailing
 * sends are issued in one group with the next compute step's leading receives, so a pair of neighbours always
 * meets in matching groups. `pipeline-steps.test.ts` runs every stage count and micro-batch count up to a size
 * through a model of NCCL's unbuffered, stream-ordered point-to-point to show it completes.
 */
import { oneFOneBSchedule, type PipelineAction } from './one-f-one-b.js';

/** One tensor crossing between neighbouring stages: micro-batch `microBatch`'s activation or its gradient. */
export interface PipelineTransfer {
  readonly peer: number;
  readonly what: 'activation' | 'gradient';
  readonly microBatch: number;
}

export type PipelineStep =
  | { readonly kind: 'compute'; readonly action: PipelineAction }
  | { readonly kind: 'exchange'; readonly sends: PipelineTransfer[]; readonly recvs: PipelineTransfer[] };

/** What `action` on `stage` receives before it runs and sends after it. */
function transfersOf(stages: number, stage: number, { kind, microBatch }: PipelineAction) {
  const previous = stage > 0 ? stage - 1 : undefined;
  const next = stage < stages - 1 ? stage + 1 : undefined;
  const transfer = (peer: number | undefined, what: PipelineTransfer['what']): PipelineTransfer[] =>
    peer === undefined ? [] : [{ peer, what, microBatch }];
  return kind === 'forward'
    ? { before: transfer(previous, 'activation'), after: transfer(next, 'activation') }
    : { before: transfer(next, 'gradient'), after: transfer(previous, 'gradient') };
}

/** Stage `stage`'s 1F1B steps: compute steps, with every send grouped with the receives that follow it. */
export function pipelineSteps(stages: number, stage: number, microBatches: number): PipelineStep[] {
  const steps: PipelineStep[] = [];
  let pending: PipelineTransfer[] = [];
  for (const action of oneFOneBSchedule(stages, stage, microBatches)) {
    const { before, after } = transfersOf(stages, stage, action);
    if (pending.length > 0 || before.length > 0) steps.push({ kind: 'exchange', sends: pending, recvs: before });
    steps.push({ kind: 'compute', action });
    pending = after;
  }
  if (pending.length > 0) steps.push({ kind: 'exchange', sends: pending, recvs: [] });
  return steps;
}

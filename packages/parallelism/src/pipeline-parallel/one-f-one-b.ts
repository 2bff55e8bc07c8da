/**
 * The 1F1B pipeline schedule (PipeDream-Flush / Megatron's non-interleaved schedule): stage s of S runs
 * min(S − s − 1, M) warm-up forwards, then alternates one forward and one backward, then drains the remaining
 * backwards. At most S − s micro-batches are in flight on stage s (activations held), instead of all M with
 * GPipe's all-forward-then-all-backward; the bubble is the same, (S − 1) / (M + S − 1) of the step.
 */

export interface PipelineAction {
  readonly kind: 'forward' | 'backward';
  readonly microBatch: number;
}

export function oneFOneBSchedule(stages: number, stage: number, microBatches: number): PipelineAction[] {
  if (!Number.isInteger(stages) || stages < 1 || !Number.isInteger(stage) || stage < 0 || stage >= stages) {
    throw new Error(`1F1B: stage ${stage} of ${stages} stages`);
  }
  if (!Number.isInteger(microBatches) || microBatches < 1) throw new Error(`1F1B: ${microBatches} micro-batches`);
  const warmUp = Math.min(stages - stage - 1, microBatches);
  const actions: PipelineAction[] = [];
  let forward = 0;
  let backward = 0;
  for (; forward < warmUp; forward++) actions.push({ kind: 'forward', microBatch: forward });
  while (forward < microBatches) {
    actions.push({ kind: 'forward', microBatch: forward++ });
    actions.push({ kind: 'backward', microBatch: backward++ });
  }
  while (backward < microBatches) actions.push({ kind: 'backward', microBatch: backward++ });
  return actions;
}

/** Layers [start, end) of stage `stage`: consecutive, as even as possible (earlier stages take the extra ones). */
export function pipelineStageLayers(layers: number, stages: number, stage: number): [number, number] {
  if (stages > layers) throw new Error(`pipeline: ${layers} layers cannot fill ${stages} stages`);
  const base = Math.floor(layers / stages);
  const extra = layers % stages;
  const start = stage * base + Math.min(stage, extra);
  return [start, start + base + (stage < extra ? 1 : 0)];
}

/** One whole decoder layer as one tape segment (layouts that keep layers unsplit: data and pipeline parallelism). */
import type { Tensor, Variable } from '@falcon-h1/core-tensor';
import type { FalconH1DecoderLayer } from '@falcon-h1/hybrid-block';
import type { SegmentTape } from '../autograd/segment-tape.js';
import type { TokenBatch } from './token-batch.js';

export function layerSegment(
  tape: SegmentTape,
  layer: FalconH1DecoderLayer,
  parameters: readonly Variable[],
  h: Tensor,
  batch: TokenBatch,
): Tensor {
  const [out] = tape.segment(
    ([x, positions, seqIdx]) => [layer.forward(x!, { positions: positions!, seqIdx })],
    batch.seqIdx ? [h, batch.positions, batch.seqIdx] : [h, batch.positions],
    parameters,
  );
  return out!;
}
